{
  "format": 1,
  "algorithm": "Ed25519",
  "key_id": "57d0585bc59fbb80",
  "signed_file": "manifest.json",
  "signature": "9U6E+oVoXBPaJZx9ZkSL3YZYM/HMrcO786ewnaqsQkVd9fmvFy0WdOvUa22hSWfb+w1weHw71ljeX4uTC/eVDQ=="
}
