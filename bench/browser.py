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

#: JavaScript defining ``finishedStatus(bytes)``: the status of the ``script_finished`` field (6) of
#: a binary ``ForwardMsg`` from Streamlit's websocket, or null. Status 0 ends a full run, 3 a
#: fragment run, 2 a run cut short by a rerun. Spliced into the init scripts that count runs.
FINISHED_STATUS_JS = """  const varint = (bytes, at) => {
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
"""
