// The file explorer's behaviour, for the web page and the notebook widget alike.
//
// s3toolsExplorer(root, backend) draws the explorer inside ``root`` and runs it; what
// differs between the two is the backend:
//   ask(question, request) -> Promise of the answer (buckets, list, preview, select,
//                             download), rejected with an Error whose message is s3tools'
//   downloadLink(path)      -> the address of a file's download (the page), or null: then
//                             Download asks "download" and says where the file went
//   selected(code)          -> Promise of the sentence shown under the chosen file's code
//   hashes                  -> the folder shown follows location.hash (the page: the
//                              browser's Back button works)
//   ids                     -> each part also gets its name as id (one explorer per page)
// Every name comes from Python as pieces (text and escapes alternately) and is put in
// the page as text, never as markup.

function s3toolsExplorer(root, backend) {
  "use strict";
  root.classList.add("s3tools-explorer");
  root.innerHTML = `
<header>
  <h1>S3 file explorer</h1>
  <nav data-part="crumbs" aria-label="Where you are"></nav>
</header>
<div data-part="error" class="error" role="alert" hidden></div>
<main data-part="main">
  <section>
    <form data-part="search" class="toolbar" hidden>
      <input data-part="search-text" type="search" aria-label="Search"
             placeholder="Search file names in this folder and the folders below it">
      <button type="submit">Search</button>
      <button type="button" data-part="search-clear" hidden>Clear</button>
    </form>
    <table data-part="listing" class="listing">
      <thead><tr data-part="listing-head"></tr></thead>
      <tbody data-part="listing-body"></tbody>
    </table>
    <p data-part="status" class="status"></p>
    <button data-part="more" hidden>Show more</button>
  </section>
  <aside data-part="file" hidden>
    <h2 data-part="file-name"></h2>
    <p data-part="file-meta" class="meta"></p>
    <div class="actions">
      <button data-part="select" class="primary">Select</button>
      <a data-part="download" class="button" href="#">Download</a>
    </div>
    <p data-part="saved" class="note" role="status" hidden></p>
    <div data-part="code" hidden>
      <h3>Read it with</h3>
      <div class="code"><span>R</span><pre data-part="code-r"></pre><button data-copy="code-r">Copy</button></div>
      <div class="code"><span>Python</span><pre data-part="code-python"></pre><button data-copy="code-python">Copy</button></div>
      <p data-part="code-note" class="note"></p>
    </div>
    <h3>Preview</h3>
    <div data-part="preview" class="preview"></div>
  </aside>
</main>`;
  const parts = {};
  root.querySelectorAll("[data-part]").forEach((node) => {
    parts[node.dataset.part] = node;
    if (backend.ids) node.id = node.dataset.part;
  });
  const $ = (name) => parts[name];
  let state = { path: "", after: null, search: "", shown: 0, file: null, where: [] };

  function showError(error) {
    $("error").textContent = error ? error.message : "";
    $("error").hidden = !error;
  }

  // ---------------------------------------------------------- small builders
  function element(tag, text, className) {
    const made = document.createElement(tag);
    if (text !== undefined) made.textContent = text;
    if (className) made.className = className;
    return made;
  }

  function cell(content, className) {
    const td = element("td", undefined, className);
    if (content instanceof Node) td.append(content); else td.textContent = content ?? "";
    return td;
  }

  // A name as the server shows it: text and escapes alternately, the escapes marked.
  function shownName(pieces) {
    const span = element("span", undefined, "shown");
    pieces.forEach((piece, i) => {
      if (i % 2 === 0) { span.append(piece); return; }
      const escape = element("span", piece, "escape");
      escape.title = "A control or bidi character in the name, shown as its escape";
      span.append(escape);
    });
    return span;
  }

  function named(icon, node) {
    const span = element("span");
    span.append(element("span", "", "icon " + icon), node);
    return span;
  }

  function heading(names) {
    $("listing-head").replaceChildren(
      ...names.map(([text, className]) => element("th", text, className)));
  }

  function hashOf(path) {
    return "#" + encodeURIComponent(path).replace(/%2F/g, "/");
  }

  // A link to a folder ("" for the buckets): the page follows it through location.hash,
  // the widget (whose page is JupyterLab's) goes there itself.
  function folderLink(link, path) {
    link.href = hashOf(path);
    link.dataset.path = path;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      go(path);
    });
    return link;
  }

  function go(path) {
    if (backend.hashes) location.hash = hashOf(path); else route(path);
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso), two = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
           `${two(d.getHours())}:${two(d.getMinutes())}`;
  }

  // ---------------------------------------------------------- where we are
  // The folders of ``path`` as the server showed them (``where``); until it answers,
  // only the way back to the buckets, for a name is never shown unescaped.
  function crumbs(path, where = []) {
    const nav = $("crumbs");
    const folders = path.split("/").filter(Boolean);
    const links = [["Buckets", ""]];
    if (where.length === folders.length) {
      folders.forEach((part, i) => links.push([shownName(where[i]),
                                               folders.slice(0, i + 1).join("/") + "/"]));
    } else if (folders.length) {
      links.push(["…", path]);
    }
    nav.replaceChildren();
    links.forEach(([label, target], i) => {
      if (i > 0) nav.append(element("span", "/", "sep"));
      const last = i === links.length - 1;
      const link = last ? element("span", undefined, "here") : folderLink(element("a"), target);
      link.append(label);
      nav.append(link);
    });
  }

  function route(path) {
    state = { path, after: null, search: "", shown: 0, file: null, where: [] };
    showError(null);
    closeFile();
    crumbs(path);
    $("search-text").value = "";
    $("search-clear").hidden = true;
    $("listing-body").replaceChildren();
    $("more").hidden = true;
    $("search").hidden = !path;
    if (path) listFolder(); else listBuckets();
  }

  // ---------------------------------------------------------- buckets
  async function listBuckets() {
    heading([["Bucket"], ["Your access"], ["Access level from"]]);
    $("status").textContent = "Reading the list of buckets…";
    try {
      const { buckets } = await backend.ask("buckets", {});
      for (const row of buckets) {
        const a = folderLink(element("a", undefined, "name"), row.bucket + "/");
        a.append(shownName(row.shown));
        const tr = element("tr");
        tr.append(cell(named("bucket", a)),
                  cell(element("span", row.access, "badge " + row.access)),
                  cell(row.source, "date"));
        $("listing-body").append(tr);
      }
      $("status").textContent = buckets.length === 1 ? "1 bucket" : `${buckets.length} buckets`;
    } catch (error) {
      $("status").textContent = "";
      showError(error);
    }
  }

  // ---------------------------------------------------------- folders and files
  async function listFolder() {
    heading([["Name"], ["Size", "number"], ["Modified"]]);
    $("more").hidden = true;
    $("status").textContent = state.search ? "Searching…" : "Reading…";
    const asked = state;
    try {
      const answer = await backend.ask("list", { path: state.path, after: state.after || "",
                                                 search: state.search });
      if (state !== asked) return;  // the explorer went elsewhere meanwhile
      state.where = answer.where;
      crumbs(state.path, answer.where);
      for (const entry of answer.entries) $("listing-body").append(entryRow(entry));
      state.shown += answer.entries.length;
      state.after = answer.next;
      $("more").hidden = !answer.next;
      $("more").textContent = state.search ? "Search further" : "Show more";
      $("status").textContent = describe(answer.next);
    } catch (error) {
      if (state !== asked) return;
      $("status").textContent = "";
      showError(error);
    }
  }

  function describe(more) {
    const n = state.shown.toLocaleString("en");
    if (state.search) {
      if (state.shown === 0) return more ? `No name holds “${state.search}” so far.`
                                         : `No file name here holds “${state.search}”.`;
      return `${n} found` + (more ? " so far." : ".");
    }
    if (state.shown === 0) return "This folder is empty.";
    return `${n} ${state.shown === 1 ? "entry" : "entries"}` +
           (more ? " shown; there are more." : ".");
  }

  function entryRow(entry) {
    const tr = element("tr");
    if (entry.folder) {
      const a = folderLink(element("a", undefined, "name"), entry.path);
      a.append(shownName(entry.shown));
      tr.append(cell(named("folder", a)), cell("", "number"), cell("", "date"));
      return tr;
    }
    const button = element("button", undefined, "name");
    button.append(shownName(entry.shown));
    button.dataset.path = entry.path;
    button.addEventListener("click", () => openFile(entry, tr));
    tr.append(cell(named("file", button)), cell(entry.size_readable, "number"),
              cell(when(entry.modified), "date"));
    tr.title = `${entry.size.toLocaleString("en")} bytes`;
    return tr;
  }

  // ---------------------------------------------------------- one file
  function closeFile() {
    $("file").hidden = true;
    $("main").classList.remove("with-file");
  }

  async function openFile(entry, row) {
    $("listing").querySelectorAll("tr.chosen").forEach((tr) => tr.classList.remove("chosen"));
    row.classList.add("chosen");
    state.file = entry;
    $("file").hidden = false;
    $("main").classList.add("with-file");
    $("file-name").replaceChildren(shownName(entry.shown));
    const where = state.where.flatMap((folder, i) => i ? [["/"], folder] : [folder]);
    $("file-meta").replaceChildren(...where.map(shownName), "/", shownName(entry.shown),
                                   ` · ${entry.size_readable} · modified ${when(entry.modified)}`);
    const link = backend.downloadLink(entry.path);
    $("download").href = link || "#";
    $("saved").hidden = true;
    $("code").hidden = true;
    const preview = $("preview");
    preview.replaceChildren(element("div", "Reading the first rows…", "message"));
    try {
      const answer = await backend.ask("preview", { path: entry.path });
      if (state.file !== entry) return;  // another file was chosen meanwhile
      preview.replaceChildren(previewTable(answer));
    } catch (error) {
      if (state.file === entry) preview.replaceChildren(element("div", error.message, "message bad"));
    }
  }

  function previewTable({ columns, rows }) {
    if (!columns.length) return element("div", "The file has no columns.", "message");
    const table = element("table");
    const head = element("tr");
    columns.forEach((name) => head.append(element("th", name)));
    table.append(element("thead"), element("tbody"));
    table.tHead.append(head);
    for (const values of rows) {
      const tr = element("tr");
      values.forEach((value) => tr.append(element("td", value)));
      table.tBodies[0].append(tr);
    }
    if (!rows.length) {
      const wrapper = element("div");
      wrapper.append(table, element("div", "No rows.", "message"));
      return wrapper;
    }
    return table;
  }

  async function choose() {
    if (!state.file) return;
    try {
      const code = await backend.ask("select", { path: state.file.path });
      $("code-r").textContent = code.r;
      $("code-python").textContent = code.python;
      $("code-note").textContent = "";
      $("code").hidden = false;
      $("code-note").textContent = await backend.selected(code);
    } catch (error) {
      showError(error);
    }
  }

  // Download where the backend has no address for it: Python saves the file and says where.
  async function download(event) {
    if (backend.downloadLink(state.file.path)) return;
    event.preventDefault();
    const file = state.file, saved = $("saved");
    saved.hidden = false;
    saved.textContent = "Downloading…";
    try {
      const answer = await backend.ask("download", { path: file.path });
      if (state.file === file) saved.textContent = answer.message;
    } catch (error) {
      if (state.file === file) saved.textContent = error.message;
    }
  }

  async function copy(button) {
    const source = $(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(source.textContent);
    } catch (error) {
      // Clipboard refused (a frame without the permission): select it for Ctrl-C instead.
      getSelection().selectAllChildren(source);
      document.execCommand("copy");
    }
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  }

  // ---------------------------------------------------------- wiring
  $("more").addEventListener("click", listFolder);
  $("select").addEventListener("click", choose);
  $("download").addEventListener("click", download);
  root.querySelectorAll("[data-copy]").forEach((b) => b.addEventListener("click", () => copy(b)));
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    state = { ...state, search: $("search-text").value.trim(), after: null, shown: 0 };
    closeFile();
    showError(null);
    $("listing-body").replaceChildren();
    $("search-clear").hidden = !state.search;
    listFolder();
  });
  // Enter in the search box searches, whatever the page around it does with Enter (in
  // JupyterLab, a notebook's shortcut takes it before the form would see it).
  $("search-text").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    $("search").requestSubmit();
  });
  $("search-clear").addEventListener("click", () => route(state.path));
  if (backend.hashes) {
    const fromHash = () => route(decodeURIComponent(location.hash.slice(1)));
    window.addEventListener("hashchange", fromHash);
    fromHash();
  } else {
    route("");
  }
}
