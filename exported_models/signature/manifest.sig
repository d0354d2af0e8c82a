{
  "format": 1,
  "algorithm": "Ed25519",
  "key_id": "57d0585bc59fbb80",
  "signed_file": "manifest.json",
  "signature": "mnqFKZuBCA7bdeBCEThLYG/7B7+X3ED4N7O3vwG5H3dRZzKw5egeWakkTyCYB0RZBtkQaicQIg5CXLesIQyXCw=="
}
