// Dropping files anywhere on the upload box chooses them (the form works without this too).
for (const box of document.querySelectorAll(".drop")) {
  const input = box.querySelector("input[type=file]");
  box.addEventListener("dragover", (event) => {
    event.preventDefault();
    box.classList.add("over");
  });
  box.addEventListener("dragleave", () => box.classList.remove("over"));
  box.addEventListener("drop", (event) => {
    event.preventDefault();
    box.classList.remove("over");
    input.files = event.dataTransfer.files;
  });
}

// Uploading: the files are posted in the background and the page then shows the batch, each
// file's line following its progress (without this, the form posts and the results follow).
for (const form of document.querySelectorAll("form[enctype='multipart/form-data'][action='/materials']")) {
  form.addEventListener("submit", async (event) => {
    if (!window.fetch || !window.FormData) return;
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(String(response.status));
      window.location.assign((await response.json()).page);
    } catch (error) {
      HTMLFormElement.prototype.submit.call(form); // the plain post shows what went wrong
    }
  });
}

function showFile(line, file) {
  line.className = file.kind;
  line.textContent = file.text;
  if (file.details.length) {
    const reasons = document.createElement("ul");
    reasons.className = "reasons";
    for (const detail of file.details) {
      const item = document.createElement("li");
      item.textContent = detail;
      reasons.append(item);
    }
    line.append(reasons);
  }
}

// A batch at work: ask how far each file has got until all are done, then show the page anew
// (results and the library as they now are).
for (const section of document.querySelectorAll("[data-batch]")) {
  const url = "/materials/uploads/" + encodeURIComponent(section.dataset.batch);
  const lines = section.querySelector("ul.files").children;
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return; // expired or signed out: the page stays as it is
      const batch = await response.json();
      batch.files.forEach((file, i) => { if (lines[i]) showFile(lines[i], file); });
      if (batch.finished) {
        window.location.reload();
        return;
      }
    } catch (error) {
      // a dropped connection: try again
    }
    window.setTimeout(poll, 500);
  };
  window.setTimeout(poll, 300);
}
