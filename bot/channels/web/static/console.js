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

// Uploading: the files are posted in the background, each file's line showing how much of it
// the browser has sent so far (fetch cannot tell, XMLHttpRequest can); the page then shows the
// batch, each file's line following its progress on the server (without this script, the form
// posts and the results follow).
for (const form of document.querySelectorAll("form[enctype='multipart/form-data'][action='/materials']")) {
  form.addEventListener("submit", (event) => {
    if (!window.XMLHttpRequest || !window.FormData) return;
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    const input = form.querySelector("input[type=file]");
    const sent = showSending(form, Array.from(input ? input.files : []));
    const plainPost = () => HTMLFormElement.prototype.submit.call(form); // shows what went wrong
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.responseType = "json";
    request.upload.addEventListener("progress", (e) => { if (e.lengthComputable) sent(e.loaded, e.total); });
    request.upload.addEventListener("load", () => sent(1, 1));
    request.addEventListener("load", () => {
      const page = request.status === 200 && request.response && request.response.page;
      if (page) window.location.assign(page);
      else plainPost();
    });
    request.addEventListener("error", plainPost);
    request.send(new FormData(form));
  });
}

// A line per chosen file above the form, "name: sending 45%" with a bar; the function returned
// takes the request's bytes sent of its total and shares them out over the files in order.
function showSending(form, files) {
  document.getElementById("sending")?.remove();
  const section = document.createElement("section");
  section.className = "results";
  section.id = "sending";
  const heading = document.createElement("h2");
  heading.textContent = form.dataset.sendingTitle || "";
  const list = document.createElement("ul");
  list.className = "files";
  section.append(heading, list);
  const lines = files.map((file) => {
    const line = document.createElement("li");
    line.className = "working";
    const text = document.createElement("span");
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    line.append(text, " ", bar);
    list.append(line);
    return { file, text, bar };
  });
  (form.closest("section") || form).before(section);
  const pattern = form.dataset.sending || "{name}: {percent}%";
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  const show = (loaded, total) => {
    const done = total > 0 ? (loaded / total) * bytes : 0; // the form's other fields are small
    let start = 0;
    for (const { file, text, bar } of lines) {
      const part = loaded >= total ? 1 : file.size ? (done - start) / file.size : done >= start ? 1 : 0;
      const percent = Math.floor(100 * Math.min(1, Math.max(0, part)));
      bar.value = percent;
      text.textContent = pattern.replace("{name}", file.name).replace("{percent}", String(percent));
      start += file.size;
    }
  };
  show(0, 1);
  return show;
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
