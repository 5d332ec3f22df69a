"""The rules: who may read and write what, for the HTTP routes and the
WebSocket alike. Each function checks, changes the database, commits and
then sends a signal (ginchat/signals.py) that the chat engine delivers."""
