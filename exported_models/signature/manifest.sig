{
  "format": 1,
  "algorithm": "Ed25519",
  "key_id": "57d0585bc59fbb80",
  "signed_file": "manifest.json",
  "signature": "c1TgK+YiNbWtFcbXJbF5/g/vKQ5Aef4B0dlRWO51CTjvPIKOUf+FwUxjXPJLRn1Ied7uqUZ+R7K88g4H+9Y+Aw=="
}
