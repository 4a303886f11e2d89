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
