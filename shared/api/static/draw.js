// Drawing canvas: draw with a mouse, pen or finger, then post the drawing to the JSON API.
// The upload form above works without JavaScript; this section appears only when scripts run.
(function () {
  const section = document.getElementById("draw");
  const canvas = document.getElementById("canvas");
  const context = canvas.getContext("2d");
  const result = document.getElementById("result");
  let drawing = false;

  function clear() {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
  }

  function position(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
  }

  canvas.addEventListener("pointerdown", (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    context.beginPath();
    context.moveTo(...position(event));
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    context.lineTo(...position(event));
    context.stroke();
  });
  ["pointerup", "pointercancel"].forEach((name) => canvas.addEventListener(name, () => { drawing = false; }));

  function selectedTask() {
    const checked = document.querySelector("input[name=task]:checked");
    return checked ? checked.value : undefined;
  }

  function show(children) {
    result.replaceChildren(...children);
  }

  function paragraph(text, className) {
    const p = document.createElement("p");
    p.textContent = text;
    if (className) p.className = className;
    return p;
  }

  async function readDrawing() {
    show([paragraph("Reading...")]);
    try {
      const response = await fetch("v1/predict", {  // relative: works under a path prefix too
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ image: canvas.toDataURL("image/png"), task: selectedTask() }),
      });
      const body = await response.json();
      if (!response.ok) {
        const error = paragraph("Could not read the drawing: " + body.detail, "error");
        error.id = "error";
        show([error]);
        return;
      }
      const line = document.createElement("p");
      const prediction = document.createElement("strong");
      prediction.id = "prediction";
      prediction.textContent = body.pred;
      const confidence = document.createElement("span");
      confidence.id = "confidence";
      confidence.textContent = body.conf.toFixed(3);
      line.append("Read as ", prediction, " with confidence ", confidence, ` (${body.task} model ${body.model}).`);
      show([line]);
    } catch (error) {
      show([paragraph("The server could not be reached: " + error, "error")]);
    }
  }

  context.lineWidth = 14;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#000";
  clear();
  section.hidden = false;
  document.getElementById("clear-drawing").addEventListener("click", clear);
  document.getElementById("read-drawing").addEventListener("click", readDrawing);
})();
