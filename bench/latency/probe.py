"""The in-page instruments of the latency benchmark: JavaScript run through Playwright.

Every timing is a ``performance.now()`` in the page, polled every animation frame by
``wait_for_function(polling="raf")`` (so about one frame, ~16 ms, of granularity).
"""

from __future__ import annotations

from bench.browser import WATCH_MESSAGES_JS

#: Init script of every page: keeps the arrival times of the server's messages and counts its
#: finished script runs (``watchMessages`` in bench/browser.py); defines the page checks below.
PROBE_JS = (
    """(() => {
  const probe = {
    finished: 0, finishedAt: [], runs: 0, lastFinished: null, times: [], messages: 0, bytes: 0,
  };
  window.__latencyProbe = probe;
"""
    + WATCH_MESSAGES_JS
    + """  watchMessages((status, at) => {
    probe.times.push(at);
    if (probe.times.length > 1000) probe.times.splice(0, 500);
    if (status === 0) {  // a full run
      probe.finished += 1;
      probe.finishedAt.push(at);
    }
    if (status === 0 || status === 3) {  // a full or a fragment run
      probe.runs += 1;
      probe.lastFinished = at;
    }
  });
  // Counts every message of the server and its bytes (what a run sends), on top of the above.
  const Watched = window.WebSocket;
  window.WebSocket = class extends Watched {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        probe.messages += 1;
        const data = event.data;
        probe.bytes += data instanceof ArrayBuffer ? data.byteLength : data.length;
      });
    }
  };
  const visible = (el) => !!el && el.checkVisibility();
  window.__pageReady = (title, marker, markerText, since) => {
    if (probe.finished <= since) return false;
    const h1 = document.querySelector('h1');
    if (!h1 || h1.textContent.trim() !== title) return false;
    const marked = [...document.querySelectorAll(marker)]
      .some((el) => visible(el) && el.textContent.includes(markerText));
    if (!marked) return false;
    return [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
      .filter(visible).every((chart) => chart.querySelector('svg, canvas'));
  };
  const topList = () => {
    const heading = [...document.querySelectorAll('h3')]
      .find((h) => h.textContent.trim().startsWith('Top '));
    const column = heading && heading.closest('[data-testid="stColumn"]');
    return {
      heading: heading ? heading.textContent.trim() : null,
      canvas: column ? column.querySelector('canvas[data-testid="data-grid-canvas"]') : null,
      grid: column ? column.querySelector('table[role="grid"]') : null,
    };
  };
  window.__listPixels = () => {
    const { canvas } = topList();
    return canvas ? canvas.toDataURL() : null;
  };
  window.__listItems = () => {
    const { heading, grid } = topList();
    if (!grid) return null;
    const heads = [...grid.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    const column = heads.indexOf('Title');
    const items = [...grid.querySelectorAll('tbody tr')]
      .map((tr) => tr.querySelectorAll('td')[column]?.textContent.trim());
    return { heading, items };
  };
  window.__listHeading = () => topList().heading;
})();"""
)
#: Clicks a sidebar link (the argument), noting the time and the full runs finished so far.
NAV_START_JS = """(link) => {
  window.__navSince = window.__latencyProbe.finished;
  window.__navStart = performance.now();
  link.click();
}"""
#: [ready, script done]: ms from the start to the page being ready and to the server's report
#: that the script run finished (ready minus done is the browser's drawing after the run).
NAV_READY_JS = """([title, marker, markerText]) => {
  const since = window.__navSince, start = window.__navStart;
  return window.__pageReady(title, marker, markerText, since)
    && [performance.now() - start, window.__latencyProbe.finishedAt[since] - start];
}"""
#: [ready, script done] of a fresh load, from the navigation start (the ``performance.now()``
#: origin).
LOAD_READY_JS = """([title, marker, markerText]) => window.__pageReady(title, marker, markerText, 0)
  && [performance.now(), window.__latencyProbe.finishedAt[0]]"""
#: Before a user change: notes the list's pixels and the runs so far, and times the next Enter.
ARM_ENTER_JS = """() => {
  window.__pixelsBefore = window.__listPixels();
  window.__changeSince = window.__latencyProbe.runs;
  window.__changeStart = null;
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && window.__changeStart === null) {
      window.__changeStart = performance.now();
    }
  }, { capture: true, once: true });
}"""
#: ms from the Enter to the heading naming the user (the argument) over a repainted list.
LIST_SHOWN_JS = """(heading) => window.__changeStart !== null
  && window.__listHeading() === heading && window.__listPixels() !== window.__pixelsBefore
  && performance.now() - window.__changeStart"""
#: Whether the grid's accessible table lists exactly the expected items under the heading.
LIST_ITEMS_JS = """([heading, items]) => {
  const shown = window.__listItems();
  return shown !== null && shown.heading === heading
    && JSON.stringify(shown.items) === JSON.stringify(items);
}"""
#: [rerun done, first message]: ms from the Enter to the end of the run it caused and to the
#: server's first message after it.
RERUN_DONE_JS = """() => {
  const probe = window.__latencyProbe, start = window.__changeStart;
  if (probe.runs <= window.__changeSince) return false;
  const first = probe.times.find((t) => t >= start);
  return [probe.lastFinished - start, first - start];
}"""
#: Before a re-ranking slider step: notes the runs, messages and bytes so far and times the next
#: arrow key.
ARM_SLIDER_JS = """() => {
  const probe = window.__latencyProbe;
  window.__changeSince = probe.runs;
  window.__messagesBefore = probe.messages;
  window.__bytesBefore = probe.bytes;
  window.__changeStart = null;
  document.addEventListener('keydown', (event) => {
    if (event.key.startsWith('Arrow') && window.__changeStart === null) {
      window.__changeStart = performance.now();
    }
  }, { capture: true, once: true });
}"""
#: [done, first message, messages, bytes] once a run has finished: ms from the arrow key to the
#: end of the fragment's run (the re-ranked lists and the test-set metrics are drawn by then)
#: and to the first message of the server, and the messages and bytes the server sent meanwhile.
SLIDER_DONE_JS = """() => {
  const probe = window.__latencyProbe, start = window.__changeStart;
  if (start === null || probe.runs <= window.__changeSince) return false;
  const first = probe.times.find((t) => t >= start);
  return [probe.lastFinished - start, first - start, probe.messages - window.__messagesBefore,
    probe.bytes - window.__bytesBefore];
}"""
