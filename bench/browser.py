"""How RecScope drives Debian's headless Chromium, shared by the browser tests and benchmarks.

Never `playwright install`: it downloads a browser of its own, which fails on these machines.
Without the background-networking flags Chromium keeps dialling out on a closed network.
"""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: JavaScript defining ``watchMessages(onMessage)``, for the init scripts that count script runs:
#: it wraps ``window.WebSocket`` so that each message from Streamlit's server calls
#: ``onMessage(status, at)``, ``at`` being the ``performance.now()`` of its arrival and ``status``
#: that of the ``script_finished`` field (6) of a binary ``ForwardMsg``, or null (another message).
#: Status 0 ends a full run, 3 a fragment run, 2 a run cut short by a rerun.
WATCH_MESSAGES_JS = """  const varint = (bytes, at) => {
    let value = 0, scale = 1, byte;
    do { byte = bytes[at.i++]; value += (byte & 0x7f) * scale; scale *= 128; } while (byte & 0x80);
    return value;
  };
  const finishedStatus = (bytes) => {
    const at = { i: 0 };
    while (at.i < bytes.length) {
      const tag = varint(bytes, at), field = Math.floor(tag / 8), wire = tag % 8;
      if (wire === 0) { const value = varint(bytes, at); if (field === 6) return value; }
      else if (wire === 2) { const length = varint(bytes, at); at.i += length; }
      else if (wire === 1) { at.i += 8; }
      else if (wire === 5) { at.i += 4; }
      else { return null; }
    }
    return null;
  };
  const watchMessages = (onMessage) => {
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (event) => {
          const at = performance.now();
          const binary = event.data instanceof ArrayBuffer;
          onMessage(binary ? finishedStatus(new Uint8Array(event.data)) : null, at);
        });
      }
    };
  };
"""
