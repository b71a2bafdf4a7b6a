"""Letters by email: compose, submit, confirm the address, deliver through a queue.

Domain code: no Flask. ``service.MailService`` is the entry point the web layer and the
worker share.
"""
