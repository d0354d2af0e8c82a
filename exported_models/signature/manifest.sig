{
  "format": 1,
  "algorithm": "Ed25519",
  "key_id": "57d0585bc59fbb80",
  "signed_file": "manifest.json",
  "signature": "+sVOlOHRD7cLqlKMQanEAEoK6hzVMj3vWEl5MpIblFmjwMrgmiWz5/22QCrVBD0Xy2dfef0PQWE4d7rf7YnVAg=="
}
