// cmpacket serve: keep the page in step with the builds, without reloading it.
// A server-sent event announces each build; the page then fetches its parts and replaces only the
// documents whose content hash changed, keeping the reader's place in the document they look at.
(() => {
  "use strict";
  let shown = Number(document.body.dataset.build || 0);
  let fetching = false;
  let again = false;

  const $ = (id) => document.getElementById(id);

  function stateText(s) {
    if (s.state === "building") return s.build === 0 ? "Building the first draft…" : "Rebuilding…";
    if (s.state === "error") return `Build ${s.build} failed`;
    return `Up to date · build ${s.build}`;
  }

  function showState(s) {
    const el = $("state");
    if (!el) return;
    el.className = `state state-${s.state}`;
    el.querySelector(".state-text").textContent = stateText(s);
  }

  // The document the reader is looking at, and where its top is on screen.
  function anchor() {
    const docs = document.querySelectorAll("#documents > .doc, #documents > .section-head");
    const top = document.querySelector(".topbar").getBoundingClientRect().bottom;
    for (const el of docs) {
      const r = el.getBoundingClientRect();
      if (r.bottom > top + 8) return { id: el.id, top: r.top };
    }
    return null;
  }

  function restore(a) {
    if (!a) return;
    const put = () => {
      const el = document.getElementById(a.id);
      if (el) window.scrollBy(0, el.getBoundingClientRect().top - a.top);
    };
    put();
    requestAnimationFrame(put); // again once the browser has laid out the new nodes
  }

  function fromHTML(html) {
    const t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }

  async function loadText(details) {
    const pre = details.querySelector("pre.text");
    const pages = (details.dataset.pages || "").split(" ").filter(Boolean);
    const parts = [];
    for (const page of pages) {
      const r = await fetch(`/text/${page}`);
      parts.push(r.ok ? await r.text() : "");
    }
    pre.textContent = parts.join("\n\f\n").trim();
    details.dataset.loaded = "1";
  }

  function wireText(root) {
    for (const d of root.querySelectorAll("details.doc-text")) {
      d.addEventListener("toggle", () => {
        if (d.open && !d.dataset.loaded) loadText(d);
      });
    }
  }

  async function refresh() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      const r = await fetch("/api/view", { cache: "no-store" });
      if (!r.ok) return;
      patch(await r.json());
    } catch (e) {
      // the server may be restarting; the event stream reconnects and calls again
    } finally {
      fetching = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  }

  function patch(v) {
    const a = anchor();
    $("status").innerHTML = v.status;
    const open = new Set([...document.querySelectorAll(".sidebar details[open]")].map((d) => d.id));
    $("sidebar").innerHTML = v.sidebar;
    open.forEach((id) => id && $(id) && ($(id).open = true));
    $("error").innerHTML = v.error;
    $("findings").innerHTML = v.findings;
    const box = $("documents");
    if (v.items.length || v.state !== "building") {
      const nodes = [];
      for (const item of v.items) {
        const old = document.getElementById(item.id);
        if (old && old.dataset.content === item.content) {
          old.classList.toggle("changed", v.changed.includes(item.id.replace(/^doc-/, "")));
          const badge = old.querySelector(".badge");
          if (badge && !old.classList.contains("changed")) badge.remove();
          nodes.push(old);
          continue;
        }
        const node = fromHTML(item.html);
        wireText(node);
        const wasOpen = old && old.querySelector("details.doc-text[open]");
        if (wasOpen) node.querySelector("details.doc-text").open = true;
        nodes.push(node);
      }
      box.replaceChildren(...nodes);
    }
    document.body.dataset.build = String(v.build);
    shown = v.build;
    restore(a);
    markCurrent();
  }

  function connect() {
    const events = new EventSource("/api/events");
    events.addEventListener("status", (e) => {
      const s = JSON.parse(e.data);
      document.body.classList.remove("offline");
      if (s.build !== shown && s.state !== "building") refresh();
      else showState(s);
    });
    events.addEventListener("error", () => {
      document.body.classList.add("offline");
      const el = $("state");
      if (el) {
        el.className = "state state-offline";
        el.querySelector(".state-text").textContent = "Preview server stopped · reconnecting…";
      }
    });
  }

  // The sidebar marks the document being read.
  let pending = false;
  function markCurrent() {
    pending = false;
    const a = anchor();
    const id = a && a.id.startsWith("doc-") ? a.id.slice(4) : "";
    for (const link of document.querySelectorAll(".sidebar a[data-doc]")) {
      link.classList.toggle("current", link.dataset.doc === id);
    }
  }
  window.addEventListener("scroll", () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(markCurrent);
    }
  }, { passive: true });

  wireText(document);
  connect();
})();
