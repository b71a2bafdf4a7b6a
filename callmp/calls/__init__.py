"""Click-to-call: requests, the plan of a call, Twilio's webhooks, TwiML and the queue.

Domain code: no Flask. ``service.CallService`` is the entry point the web layer and the
worker share.
"""
