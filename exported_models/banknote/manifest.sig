{
  "format": 1,
  "algorithm": "Ed25519",
  "key_id": "57d0585bc59fbb80",
  "signed_file": "manifest.json",
  "signature": "u/nH+gzZw5uglKj9eRCuoqD8e/QcjfHZD+sTZ9d0v9M+Av3+3Ox32pN1p4Tn1qmtZqaiFeMHzhSykv2k/EK3CA=="
}
