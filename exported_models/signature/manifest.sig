{
  "format": 1,
  "algorithm": "Ed25519",
  "key_id": "57d0585bc59fbb80",
  "signed_file": "manifest.json",
  "signature": "sPYhuAXMPcINLD4FOQPaIh4RWJvm4xzaK2JW+Sy3kzAQ56KG7v2diuKQczjiUFtD1UPJGJidljQ2OSTGcNRgAw=="
}
