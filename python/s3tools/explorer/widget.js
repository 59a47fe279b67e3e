// The notebook widget's part of the explorer (anywidget's ES module; explorer.js comes
// before it). Questions go to Python as the widget's own messages over the kernel's
// connection, and answers come back the same way: no port, no proxy, no token.

// One question to Python; the answer (or s3tools' message) comes back with its id. Every
// view of the widget hears every answer, so ids start with the view's own prefix.
function asker(model) {
  const prefix = Math.random().toString(36).slice(2);
  const waiting = new Map();
  let count = 0;
  const hear = (message) => {
    if (!message || message.kind !== "s3tools-answer" || !waiting.has(message.id)) return;
    const { resolve, reject } = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error) reject(new Error(message.error)); else resolve(message.answer);
  };
  model.on("msg:custom", hear);
  const ask = (question, request) => new Promise((resolve, reject) => {
    const id = `${prefix}-${++count}`;
    waiting.set(id, { resolve, reject });
    model.send({ kind: "s3tools-question", id, question, request });
  });
  return { ask, stop: () => model.off("msg:custom", hear) };
}

// The Python line in a new cell below the widget's, ready to run (as s3browser put R's
// line at the console). A widget is given no handle on JupyterLab, so this goes through
// the page as a person would: the widget's cell is active in command mode after the
// click on Select, "B" inserts a cell below it, and the line is pasted into that cell's
// editor. JupyterLab 4 and Notebook 7 work so; elsewhere (VS Code, a notebook without
// these classes) nothing is changed and false tells the caller to say "copy it".
const pause = (ms) => new Promise((done) => setTimeout(done, ms));

async function until(found, tries = 40) {
  for (let i = 0; i < tries; i++) {
    const value = found();
    if (value) return value;
    await pause(50);
  }
  return null;
}

function press(target, key, code, keyCode) {
  for (const type of ["keydown", "keyup"]) {
    const event = new KeyboardEvent(type, { key, code, bubbles: true, cancelable: true });
    // Lumino reads the legacy keyCode, which the constructor cannot set.
    Object.defineProperty(event, "keyCode", { get: () => keyCode });
    target.dispatchEvent(event);
  }
}

async function insertCellBelow(el, text) {
  const cell = el.closest(".jp-Cell"), notebook = el.closest(".jp-Notebook");
  if (!cell || !notebook) return false;
  const before = cell.nextElementSibling;
  const commandMode = () => notebook.classList.contains("jp-mod-commandMode") &&
                            cell.classList.contains("jp-mod-active");
  if (!commandMode()) {
    const prompt = cell.querySelector(".jp-InputPrompt") || cell;
    prompt.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, cancelable: true }));
    if (!(await until(commandMode, 10))) return false;
  }
  // The key goes to the cell itself: inside the widget, shortcuts are switched off.
  cell.focus();
  press(cell, "b", "KeyB", 66);
  const added = await until(() => {
    const next = cell.nextElementSibling;
    return next !== before && next && next.classList.contains("jp-Cell") &&
           next.querySelector(".cm-content") ? next : null;
  });
  if (!added) return false;
  const editor = added.querySelector(".cm-content");
  editor.focus();  // the new cell in edit mode, its cursor where the line goes
  document.execCommand("insertText", false, text);
  return Boolean(await until(() => editor.textContent === text, 20));
}

export default {
  render({ model, el }) {
    const connection = asker(model);
    const root = document.createElement("div");
    root.classList.add("in-notebook");
    // Keys typed in the explorer (Enter in its search box, say) are its own, not
    // JupyterLab's shortcuts.
    el.setAttribute("data-lm-suppress-shortcuts", "true");
    el.append(root);
    s3toolsExplorer(root, {
      ask: connection.ask,
      downloadLink: () => null,
      selected: async (code) => (await insertCellBelow(el, code.python)
        ? "The Python line is also in a new cell below, ready to run."
        : "Copy the line for your language into a cell."),
      hashes: false,
      ids: false,
    });
    return () => connection.stop();
  },
};
