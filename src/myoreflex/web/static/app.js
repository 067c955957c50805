// myoreflex local app: the Simulate and Teach pages. No library, nothing fetched from elsewhere.
"use strict";

(function () {
  const form = document.querySelector("form[data-mode]");
  if (!form) return;
  const mode = form.dataset.mode;
  const status = document.getElementById("status");
  const $ = (id) => document.getElementById(id);
  let sequence = 0;
  let timer = null;

  function value(name) {
    const el = form.elements[name];
    return el ? el.value : "";
  }

  // The controls as simulation options (the JSON of POST /api/simulate).
  function options() {
    const out = {test: value("test"), condition: value("condition"), severity: Number(value("severity"))};
    if (value("treatment_name")) out.treatment = value("treatment_name") + ":" + value("dose");
    if (out.test === "stretch") {
      out.joint = value("joint");
      if (form.elements.velocity_deg_s) out.velocity_deg_s = [Number(value("velocity_deg_s"))];
    }
    for (const name of ["age_years", "body_mass_kg", "height_m"]) {
      if (form.elements[name] && value(name) !== "") out[name] = Number(value(name));
    }
    if (form.elements.sex && value("sex")) out.sex = value("sex");
    return out;
  }

  function query(opts) {
    const params = new URLSearchParams();
    for (const [key, val] of Object.entries(opts)) {
      if (key === "treatment") {
        const [name, dose] = val.split(":");
        params.set("treatment_name", name);
        params.set("dose", dose);
      } else if (Array.isArray(val)) {
        val.forEach((v) => params.append(key, v));
      } else {
        params.set(key, val);
      }
    }
    return params.toString();
  }

  function setStatus(text, bad) {
    status.textContent = text;
    status.classList.toggle("bad", !!bad);
  }

  function syncControls() {
    for (const el of form.querySelectorAll("input[type=range]")) {
      const out = $(el.id + "-value");
      if (out) out.textContent = el.value;
    }
    const treatment = form.elements.treatment_name;
    const dose = form.elements.dose;
    if (treatment && dose) {
      const doses = JSON.parse(treatment.dataset.doses || "{}");
      const chosen = doses[treatment.value];
      dose.disabled = !chosen;
      if (chosen && dose.dataset.for !== treatment.value) {
        dose.min = chosen.min; dose.max = chosen.max;
        dose.step = (chosen.max - chosen.min) / 100;
        dose.value = chosen.default; dose.dataset.for = treatment.value;
        $("dose-unit").textContent = chosen.unit;
        $("dose-value").textContent = dose.value;
      }
      if (!chosen) { $("dose-unit").textContent = ""; $("dose-value").textContent = "-"; dose.dataset.for = ""; }
    }
    const stretch = value("test") === "stretch";
    for (const name of ["joint", "velocity_deg_s"]) {
      const el = form.elements[name];
      if (el) el.closest("label").hidden = !stretch;
    }
    const docs = form.elements.condition && JSON.parse(form.elements.condition.dataset.doc || "{}");
    if (docs && $("condition-doc")) $("condition-doc").textContent = docs[value("condition")] || "";
  }

  async function errorText(response) {
    try { return (await response.json()).error; } catch (e) { return response.statusText; }
  }

  // Simulate: numbers from the API, the figure as a PNG from the server.
  async function redraw() {
    const mine = ++sequence;
    const opts = options();
    const started = performance.now();
    setStatus("computing...");
    const numbers = fetch("/api/simulate", {method: "POST", headers: {"content-type": "application/json"},
                                            body: JSON.stringify(opts)});
    const picture = fetch("/simulate/figure.png?" + query(opts));
    const [answer, image] = await Promise.all([numbers, picture]);
    if (mine !== sequence) return;  // a newer setting is on its way
    if (!answer.ok) { setStatus(await errorText(answer), true); return; }
    const data = await answer.json();
    const blob = await image.blob();
    if (mine !== sequence) return;
    const img = $("sim-figure");
    const old = img.src;
    img.src = URL.createObjectURL(blob);
    img.dataset.options = JSON.stringify(opts);
    if (old.startsWith("blob:")) URL.revokeObjectURL(old);
    fillTable(data);
    const seconds = (performance.now() - started) / 1000;
    setStatus("redrawn in " + seconds.toFixed(2) + " s");
    status.dataset.seconds = seconds.toFixed(3);
    status.dataset.count = String(Number(status.dataset.count || 0) + 1);
  }

  function row(cells, head) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement(head ? "th" : "td");
      td.textContent = c;
      tr.appendChild(td);
    }
    return tr;
  }

  function fmt(v) {
    if (v === null || v === undefined) return "-";
    return typeof v === "number" ? String(Number(v.toPrecision(4))) : String(v);
  }

  function fillTable(data) {
    const table = $("sim-measures");
    table.replaceChildren();
    if (data.metrics) {
      table.appendChild(row(["measure", "value"], true));
      for (const [key, val] of Object.entries(data.metrics)) {
        const tr = row([key, fmt(val)]);
        tr.dataset.measure = key;
        tr.children[1].id = "sim-" + key;
        table.appendChild(tr);
      }
      for (const w of data.warnings || []) table.appendChild(row(["warning", w]));
    } else if (data.trials) {
      table.appendChild(row(["velocity (deg/s)", "peak torque (N m)", "peak EMG", "EMG onset (deg)"], true));
      for (const t of data.trials) {
        table.appendChild(row([fmt(t.velocity_deg_s), fmt(t.peak_torque_nm), fmt(t.peak_emg),
                               t.emg_onset_angle_deg === null ? "no reflex" : fmt(t.emg_onset_angle_deg)]));
      }
    }
  }

  // Teach: the signals along the loop, stepped through with the diagram.
  let signals = null;
  let playing = null;

  async function loadSignals() {
    const mine = ++sequence;
    const params = query(options());
    const muscle = form.elements.muscle && form.elements.muscle.value;
    setStatus("computing...");
    const response = await fetch("/teach/signals?" + params + (muscle ? "&muscle=" + encodeURIComponent(muscle) : ""));
    if (mine !== sequence) return;
    if (!response.ok) { setStatus(await errorText(response), true); return; }
    signals = await response.json();
    const select = form.elements.muscle;
    if (select.dataset.list !== signals.muscles.join(",")) {
      select.replaceChildren(...signals.muscles.map((m) => new Option(m, m, false, m === signals.muscle)));
      select.dataset.list = signals.muscles.join(",");
    }
    $("step").max = signals.time_s.length - 1;
    drawTraces();
    step(Number($("step").value));
    setStatus(signals.label + ", " + signals.muscle);
  }

  const SVG = "http://www.w3.org/2000/svg";

  function drawTraces() {
    const box = $("traces");
    box.replaceChildren();
    const width = 640, height = 60, n = signals.time_s.length;
    for (const s of signals.signals) {
      const wrap = document.createElement("div");
      wrap.className = "trace";
      const caption = document.createElement("div");
      caption.className = "trace-label";
      caption.textContent = `${s.label} (${s.unit}): ${fmt(s.low)} to ${fmt(s.high)}`;
      const svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
      svg.setAttribute("preserveAspectRatio", "none");
      svg.id = "trace-" + s.key;
      const span = (s.scale_high - s.scale_low) || 1;
      const points = s.values.map((v, i) => `${(i / (n - 1) * width).toFixed(1)},${(3 + (1 - (v - s.scale_low) / span) * (height - 6)).toFixed(1)}`);
      const line = document.createElementNS(SVG, "polyline");
      line.setAttribute("points", points.join(" "));
      line.setAttribute("class", "line line-" + s.key);
      line.setAttribute("vector-effect", "non-scaling-stroke");
      const cursor = document.createElementNS(SVG, "line");
      cursor.setAttribute("y1", "0"); cursor.setAttribute("y2", String(height));
      cursor.setAttribute("class", "cursor");
      cursor.setAttribute("vector-effect", "non-scaling-stroke");
      svg.append(line, cursor);
      wrap.append(caption, svg);
      box.appendChild(wrap);
    }
  }

  function step(index) {
    if (!signals) return;
    const n = signals.time_s.length;
    index = Math.max(0, Math.min(n - 1, index));
    $("step").value = index;
    $("step-time").textContent = signals.time_s[index].toFixed(2) + " s";
    const table = $("signals");
    table.replaceChildren(row(["signal", "now", "unit"], true));
    for (const s of signals.signals) {
      const v = s.values[index];
      const level = Math.max(0, Math.min(1, (v - s.scale_low) / ((s.scale_high - s.scale_low) || 1)));
      const tr = row([s.label, fmt(v), s.unit]);
      tr.title = s.what;
      tr.dataset.signal = s.key;
      table.appendChild(tr);
      const wire = $("wire-" + s.key);
      if (wire) { wire.style.strokeWidth = (1.5 + 7 * level).toFixed(1); wire.style.opacity = (0.35 + 0.65 * level).toFixed(2); }
      const cursor = document.querySelector(`#trace-${s.key} .cursor`);
      if (cursor) { const x = (index / (n - 1) * 640).toFixed(1); cursor.setAttribute("x1", x); cursor.setAttribute("x2", x); }
    }
  }

  function schedule() {
    syncControls();
    clearTimeout(timer);
    timer = setTimeout(mode === "teach" ? loadSignals : redraw, 120);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", (event) => { event.preventDefault(); schedule(); });
  if (mode === "teach") {
    $("step").addEventListener("input", () => step(Number($("step").value)));
    $("prev").addEventListener("click", () => step(Number($("step").value) - 1));
    $("next").addEventListener("click", () => step(Number($("step").value) + 1));
    $("play").addEventListener("click", () => {
      if (playing) { clearInterval(playing); playing = null; $("play").textContent = "Play"; return; }
      $("play").textContent = "Pause";
      playing = setInterval(() => {
        const next = Number($("step").value) + 1;
        if (!signals || next >= signals.time_s.length) { clearInterval(playing); playing = null; $("play").textContent = "Play"; return; }
        step(next);
      }, 50);
    });
  }
  syncControls();
  (mode === "teach" ? loadSignals : redraw)();
})();
