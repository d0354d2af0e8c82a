{
  "format": 1,
  "algorithm": "Ed25519",
  "key_id": "57d0585bc59fbb80",
  "signed_file": "manifest.json",
  "signature": "IrksmUME8y2/RpW6HPCnjbjDxBWPzRhRo2SkEhhBGMeUGtE+yurMbEJ0pnn+/WQQTT/7iyhraFuQQ5lY9eFwAQ=="
}
