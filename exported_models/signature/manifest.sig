{
  "format": 1,
  "algorithm": "Ed25519",
  "key_id": "57d0585bc59fbb80",
  "signed_file": "manifest.json",
  "signature": "tYfCbVJO8tu73uuWEHRJ3/ypzQZyCqFHr+wkbY7xKDywN+Jywh2yAQmhdD/cDO7y9oeBSblmOCkv+TdCfdfuDA=="
}
