"""Jobs on the user's own machines over SSH: flavor "ssh:NAME", ids "ssh:NAME:local-<hex>".

The remote machine runs hf-train-mcp's own local backend (`hf-train-mcp remote-backend OP`, JSON on
stdin and stdout), reached with the system's OpenSSH client; only hosts listed in the user's host
file (`hosts.py`) can be reached.
"""
