/* latent_explorer.js: the live latent explorer of vae-course notebook 07, for the website.
 *
 * Plain JavaScript with no dependencies: it loads a VAE decoder written by
 * `vae_course.explore.write_decoder_json` (explorer_NAME.json beside the page), evaluates the MLP
 * in the page, and draws the decoded image into a <canvas> as <input type="range"> sliders move.
 * Every element `<div class="vae-explorer" data-weights="FILE.json" data-mode="traversal|manifold">`
 * on the page becomes an explorer. Under node the same file exports the decoder
 * (`require("./latent_explorer.js")`), which tests/latent_explorer.test.js checks against PyTorch.
 */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  if (typeof window !== "undefined" && typeof document !== "undefined") {
    window.VAEExplorer = api;
    var start = function () { api.mountAll(document); };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";
  var FORMAT = "vae-course-decoder/1";
  var COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                "#17becf"];  // matplotlib's tab10, as in the notebook's figures
  var ACTIVATIONS = {
    none: function (x) { return x; },
    relu: function (x) { return x > 0 ? x : 0; },
    tanh: Math.tanh,
    elu: function (x) { return x > 0 ? x : Math.expm1(x); }
  };
  var OUTPUTS = {
    sigmoid: function (x) { return 1 / (1 + Math.exp(-x)); },  // Bernoulli decoder: pixel means from logits
    identity: function (x) { return x; }                       // Gaussian decoder: the means themselves
  };

  // ---- the decoder -------------------------------------------------------------------------

  /** base64 -> bytes (Uint8Array). */
  function bytes(b64) {
    if (typeof b64 !== "string") throw new Error("expected base64 text, got " + typeof b64);
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /** base64 of little-endian float32 (as written by the Python side) -> Float32Array, on any platform. */
  function float32s(b64) {
    var b = bytes(b64);
    if (b.length % 4) throw new Error("float32 data of " + b.length + " bytes is not a whole number of floats");
    var view = new DataView(b.buffer, b.byteOffset, b.byteLength), out = new Float32Array(b.length / 4);
    for (var i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }

  /** A decoder file's JSON -> a model object for `decode`, with clear errors for a wrong or damaged file. */
  function loadModel(json) {
    if (!json || json.format !== FORMAT) {
      throw new Error("not a vae-course decoder file: format " + JSON.stringify(json && json.format) + ", expected " +
                      FORMAT + " (write one with vae_course.explore.write_decoder_json)");
    }
    if (!OUTPUTS[json.output]) throw new Error("unknown output " + JSON.stringify(json.output));
    var width = json.latent;
    var layers = json.layers.map(function (l, i) {
      if (l["in"] !== width) throw new Error("layer " + i + " takes " + l["in"] + " inputs but receives " + width);
      if (!ACTIVATIONS[l.activation]) throw new Error("layer " + i + ": unknown activation " + JSON.stringify(l.activation));
      var W = float32s(l.weight), b = float32s(l.bias);
      if (W.length !== l["in"] * l.out || b.length !== l.out) {
        throw new Error("layer " + i + " has " + W.length + " weights and " + b.length + " biases, expected " +
                        l["in"] * l.out + " and " + l.out + ": the file is damaged");
      }
      width = l.out;
      return { W: W, b: b, nIn: l["in"], nOut: l.out, act: ACTIVATIONS[l.activation] };
    });
    var pixels = json.image_shape[0] * json.image_shape[1];
    if (width !== pixels) throw new Error("the decoder outputs " + width + " values for a " + pixels + "-pixel image");
    return { name: json.name, latent: json.latent, shape: json.image_shape, layers: layers,
             output: OUTPUTS[json.output], meta: json };
  }

  /** The decoder's mean image for latent vector z (an array of `latent` numbers) -> Float64Array of pixels in [0, 1]. */
  function decode(model, z) {
    if (!z || z.length !== model.latent) {
      throw new Error("z has " + (z && z.length) + " values but the model has " + model.latent + " latent dimensions");
    }
    var h = Float64Array.from(z);
    for (var li = 0; li < model.layers.length; li++) {
      var L = model.layers[li], W = L.W, n = L.nIn, out = new Float64Array(L.nOut);
      for (var o = 0; o < L.nOut; o++) {               // out = act(W h + b), W row-major [out, in]
        var s = L.b[o], row = o * n;
        for (var i = 0; i < n; i++) s += W[row + i] * h[i];
        out[o] = L.act(s);
      }
      h = out;
    }
    for (var j = 0; j < h.length; j++) h[j] = model.output(h[j]);
    return h;
  }

  /** A seeded standard-normal generator (mulberry32 + Box-Muller), so a prior sample is reproducible by its seed. */
  function normals(seed) {
    var a = seed >>> 0;
    function uniform() {
      a = (a + 0x6D2B79F5) >>> 0;
      var t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
    return function () { return Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()); };
  }

  // ---- the page ----------------------------------------------------------------------------

  var CSS = [
    ".vae-explorer-live{border:1px solid #ddd;border-radius:6px;padding:10px;margin:1em 0;font-size:0.85em}",
    ".vae-explorer-live canvas{image-rendering:pixelated;image-rendering:crisp-edges;border:1px solid #ccc}",
    ".vae-x-row{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}",
    ".vae-x-slider{display:flex;align-items:center;gap:6px;margin:1px 0}",
    ".vae-x-slider label{width:2.6em;text-align:right;font-family:monospace}",
    ".vae-x-slider input{width:170px}",
    ".vae-x-slider output{width:3.2em;font-family:monospace}",
    ".vae-x-note{color:#777}.vae-x-collapsed label,.vae-x-collapsed .vae-x-note{color:#aaa}",
    ".vae-x-status{color:#777;margin-top:4px}"
  ].join("\n");

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k]; else if (k === "style") e.style.cssText = attrs[k]; else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  function addStyle(doc) {
    if (doc.getElementById("vae-explorer-style")) return;
    doc.head.appendChild(el("style", { id: "vae-explorer-style", text: CSS }));
  }

  /** Draw grey pixels in [0, 1] (row-major, w*h) into a w×h canvas, shown `scale` times larger. */
  function drawGrey(canvas, pixels, w, h, scale) {
    canvas.width = w; canvas.height = h;
    canvas.style.width = (w * scale) + "px"; canvas.style.height = (h * scale) + "px";
    var ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
    for (var i = 0; i < w * h; i++) {
      var v = Math.round(255 * Math.min(1, Math.max(0, pixels[i])));
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  function timer(status) {
    var n = 0;
    return function (draw) {
      var t0 = performance.now();
      draw();
      n += 1;
      status.textContent = "update " + n + ": decoded and drawn in " + (performance.now() - t0).toFixed(1) +
                           " ms, in your browser";
    };
  }

  /** One slider per latent dimension, ranked by KL, collapsed ones marked; the decoded image follows. */
  function mountTraversal(root, model) {
    var meta = model.meta, K = model.latent, H = model.shape[0], Wd = model.shape[1];
    var order = meta.order || Array.from({ length: K }, function (_, i) { return i; });
    var z = new Float64Array(K), sliders = {}, seed = 0;
    var decoded = el("canvas", { "class": "vae-x-decoded" }), start = el("canvas", { "class": "vae-x-start" });
    var status = el("div", { "class": "vae-x-status" }), run = timer(status);
    var choose = el("select", { "class": "vae-x-choose" });
    (meta.starts || []).forEach(function (s, i) { choose.appendChild(el("option", { value: "s" + i, text: "test digit " + s.label })); });
    choose.appendChild(el("option", { value: "zero", text: "z = 0 (the prior mean)" }));
    var prior = el("button", { type: "button", "class": "vae-x-prior", text: "prior sample" });
    var list = el("div", { "class": "vae-x-sliders" });
    order.forEach(function (d) {
      var active = meta.active ? meta.active[d] : true;
      var input = el("input", { type: "range", min: "-3", max: "3", step: "0.01", value: "0", "data-dim": String(d),
                                "aria-label": "latent dimension " + d });
      var out = el("output", { text: "0.00" });
      var note = meta.kl_per_dim ? meta.kl_per_dim[d].toFixed(2) + " nats" + (active ? "" : " · collapsed") : "";
      list.appendChild(el("div", { "class": "vae-x-slider" + (active ? "" : " vae-x-collapsed") },
                          [el("label", { text: "z" + d }), input, out, el("span", { "class": "vae-x-note", text: note })]));
      input.addEventListener("input", function () {
        z[d] = parseFloat(input.value); out.textContent = z[d].toFixed(2); redraw();
      });
      sliders[d] = { input: input, out: out };
    });
    function redraw() { run(function () { drawGrey(decoded, decode(model, z), Wd, H, 6); }); }
    function setZ(v, picture) {
      for (var d = 0; d < K; d++) {
        var s = sliders[d].input;
        if (v[d] < parseFloat(s.min)) s.min = String(Math.floor(v[d]));   // widen, never clip
        if (v[d] > parseFloat(s.max)) s.max = String(Math.ceil(v[d]));
        z[d] = v[d]; s.value = String(v[d]); sliders[d].out.textContent = Number(v[d]).toFixed(2);
      }
      drawGrey(start, picture || new Float64Array(H * Wd).fill(0.5), Wd, H, 3);
      redraw();
    }
    function fromChoice() {
      if (choose.value === "zero") return setZ(new Float64Array(K));
      var s = meta.starts[parseInt(choose.value.slice(1), 10)], img = bytes(s.image);
      setZ(s.z, Array.from(img, function (v) { return v / 255; }));
    }
    choose.addEventListener("change", fromChoice);
    prior.addEventListener("click", function () {
      var g = normals(seed); seed += 1;
      setZ(Array.from({ length: K }, g));
      status.textContent += " · prior sample with seed " + (seed - 1);
    });
    root.textContent = "";
    root.classList.add("vae-explorer-live");
    root.appendChild(el("div", { "class": "vae-x-row" }, [
      el("div", {}, [el("div", { text: "start: " }, [choose, document.createTextNode(" "), prior]), list]),
      el("div", {}, [el("div", { text: "decoded" }), decoded, el("div", { text: "start image" }), start])
    ]));
    root.appendChild(status);
    fromChoice();
    return { setZ: setZ, z: function () { return Array.from(z); }, canvas: decoded };
  }

  /** A 2-D latent space: test codes by label; click or drag on the map (or move the sliders) to decode a point. */
  function mountManifold(root, model) {
    var meta = model.meta, H = model.shape[0], Wd = model.shape[1], LIM = 3.5, SIZE = 320;
    if (model.latent !== 2 || !meta.codes) throw new Error("the 2-D explorer needs a decoder file of a 2-D model with codes");
    var codes = float32s(meta.codes.z), labels = bytes(meta.codes.labels), z = [0, 0];
    var background = el("canvas"), map = el("canvas", { "class": "vae-x-map" }), decoded = el("canvas", { "class": "vae-x-decoded" });
    background.width = map.width = SIZE; background.height = map.height = SIZE;
    map.style.cursor = "crosshair";
    var toPx = function (v) { return (v + LIM) / (2 * LIM) * SIZE; };
    var bg = background.getContext("2d");
    bg.fillStyle = "#fff"; bg.fillRect(0, 0, SIZE, SIZE); bg.strokeStyle = "#ddd";
    for (var g = -Math.floor(LIM); g <= Math.floor(LIM); g++) {
      bg.beginPath(); bg.moveTo(toPx(g), 0); bg.lineTo(toPx(g), SIZE); bg.moveTo(0, SIZE - toPx(g)); bg.lineTo(SIZE, SIZE - toPx(g)); bg.stroke();
    }
    var sums = {};
    for (var i = 0; i < labels.length; i++) {
      var x = codes[2 * i], y = codes[2 * i + 1], c = labels[i];
      bg.fillStyle = COLORS[c % 10]; bg.fillRect(toPx(x) - 1, SIZE - toPx(y) - 1, 2.5, 2.5);
      sums[c] = sums[c] || [0, 0, 0]; sums[c][0] += x; sums[c][1] += y; sums[c][2] += 1;
    }
    bg.font = "bold 13px sans-serif"; bg.textAlign = "center"; bg.textBaseline = "middle";
    Object.keys(sums).forEach(function (c) {
      var px = toPx(sums[c][0] / sums[c][2]), py = SIZE - toPx(sums[c][1] / sums[c][2]);
      bg.fillStyle = "rgba(255,255,255,0.8)"; bg.fillRect(px - 8, py - 9, 16, 18);
      bg.fillStyle = "#000"; bg.fillText(String(c), px, py);
    });
    var status = el("div", { "class": "vae-x-status" }), run = timer(status);
    var inputs = [0, 1].map(function (k) {
      var input = el("input", { type: "range", min: String(-LIM), max: String(LIM), step: "0.01", value: "0",
                                "data-dim": String(k), "aria-label": "z" + (k + 1) });
      var out = el("output", { text: "0.00" });
      input.addEventListener("input", function () { z[k] = parseFloat(input.value); redraw(); });
      return { input: input, out: out, row: el("div", { "class": "vae-x-slider" }, [el("label", { text: "z" + (k + 1) }), input, out]) };
    });
    function redraw() {
      run(function () {
        var ctx = map.getContext("2d"), px = toPx(z[0]), py = SIZE - toPx(z[1]);
        ctx.drawImage(background, 0, 0);
        ctx.strokeStyle = "#000"; ctx.lineWidth = 2.5;
        ctx.beginPath(); ctx.moveTo(px - 9, py); ctx.lineTo(px + 9, py); ctx.moveTo(px, py - 9); ctx.lineTo(px, py + 9); ctx.stroke();
        inputs.forEach(function (s, k) { s.input.value = String(z[k]); s.out.textContent = z[k].toFixed(2); });
        drawGrey(decoded, decode(model, z), Wd, H, 6);
      });
    }
    function setZ(v) { z = [Math.min(LIM, Math.max(-LIM, v[0])), Math.min(LIM, Math.max(-LIM, v[1]))]; redraw(); }
    var dragging = false;
    function fromPointer(ev) {
      var r = map.getBoundingClientRect();
      setZ([(ev.clientX - r.left) / r.width * 2 * LIM - LIM, LIM - (ev.clientY - r.top) / r.height * 2 * LIM]);
    }
    map.addEventListener("pointerdown", function (ev) { dragging = true; fromPointer(ev); });
    map.addEventListener("pointermove", function (ev) { if (dragging) fromPointer(ev); });
    window.addEventListener("pointerup", function () { dragging = false; });
    root.textContent = "";
    root.classList.add("vae-explorer-live");
    root.appendChild(el("div", { "class": "vae-x-row" }, [
      el("div", {}, [el("div", { text: "test codes by label: click or drag" }), map]),
      el("div", {}, [inputs[0].row, inputs[1].row, el("div", { text: "decoded" }), decoded])
    ]));
    root.appendChild(status);
    setZ([codes[0], codes[1]]);
    return { setZ: setZ, z: function () { return z.slice(); }, canvas: decoded, map: map };
  }

  /** Turn every `.vae-explorer[data-weights]` element of `doc` into a live explorer. */
  function mountAll(doc) {
    addStyle(doc);
    Array.prototype.forEach.call(doc.querySelectorAll(".vae-explorer[data-weights]"), function (root) {
      var url = root.getAttribute("data-weights"), mode = root.getAttribute("data-mode") || "traversal";
      fetch(url)
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status + " for " + url); return r.json(); })
        .then(function (json) {
          root.vaeExplorer = (mode === "manifold" ? mountManifold : mountTraversal)(root, loadModel(json));
          root.setAttribute("data-ready", "true");
        })
        .catch(function (e) {
          root.textContent = "The live explorer could not start (" + e.message + "). It needs the page to be served " +
                             "over http(s) with " + url + " beside it.";
          root.setAttribute("data-error", e.message);
        });
    });
  }

  return { FORMAT: FORMAT, bytes: bytes, float32s: float32s, loadModel: loadModel, decode: decode, normals: normals,
           mountTraversal: mountTraversal, mountManifold: mountManifold, mountAll: mountAll };
});
