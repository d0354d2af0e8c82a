{
  "format": 1,
  "algorithm": "Ed25519",
  "key_id": "57d0585bc59fbb80",
  "signed_file": "manifest.json",
  "signature": "uGC4F0nNDFfFCjD3nf9nLwKLP77ydzuXpbTUL6WcqpVPrW5ccSnEPfN5xBQNJYpqyDrOgKeZEbSGloJsviNhDw=="
}
