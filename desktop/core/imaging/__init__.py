"""Reading and decoding input images safely: one bounded reader, the size, pixel and page
limits, one page decoded and reduced. Imports only numpy, Pillow and ``desktop.core.errors``."""
