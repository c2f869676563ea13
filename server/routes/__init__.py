"""Thin HTTP/WebSocket handlers: parse, call the core, render."""
