"""The peers GinChat is measured against, driven by the same load generator:
``socketio_app`` (Flask-SocketIO as a Flask developer would write it) and
``relay_app`` (a bare flask-sock relay: the floor of our own stack)."""
