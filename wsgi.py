import gc

from callmp import create_app

app = create_app()
# Everything built so far lives as long as the process: keep it out of the cyclic garbage
# collector's full passes, which otherwise cost ~90 ms at random moments (dashboard pages).
gc.freeze()
