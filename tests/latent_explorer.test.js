// The website's JavaScript decoder (nbs/latent_explorer.js, the same file the page loads) against
// PyTorch: each decoder file carries fixed latent vectors and the mean images PyTorch decoded from
// them; the JavaScript must reproduce every pixel to 1e-4. tests/test_explorer_js.py runs this
// file (`node --test`) and checks separately that those references match the shipped weights.
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const X = require("../nbs/latent_explorer.js");

const NBS = path.join(__dirname, "..", "nbs");
const read = (name) => JSON.parse(fs.readFileSync(path.join(NBS, `explorer_${name}.json`), "utf8"));

function worstError(model, json) {
  const zs = json.checks.z, ref = X.float32s(json.checks.mean), n = ref.length / zs.length;
  let worst = 0;
  zs.forEach((z, i) => {
    const out = X.decode(model, z);
    assert.strictEqual(out.length, n);
    for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(out[j] - ref[i * n + j]));
  });
  return worst;
}

for (const name of ["mlp20", "mlp2"]) {
  test(`${name}: the JavaScript decoder agrees with PyTorch to 1e-4`, () => {
    const json = read(name), model = X.loadModel(json);
    assert.ok(json.checks.z.length >= 4, "at least four reference vectors");
    const worst = worstError(model, json);
    console.log(`${name}: max |JavaScript - PyTorch| = ${worst.toExponential(2)} over ${json.checks.z.length} codes`);
    assert.ok(worst < 1e-4, `max |JavaScript - PyTorch| = ${worst}`);
  });

  test(`${name}: the check can fail: one changed weight breaks the agreement`, () => {
    const json = read(name), model = X.loadModel(json);
    model.layers[model.layers.length - 1].b[100] += 0.5;       // one output bias: pixel 100 moves for every z
    assert.ok(worstError(model, json) > 1e-3);
  });
}

test("base64 float32 decoding is exact and little-endian", () => {
  const b64 = Buffer.from(new Float32Array([1.5, -2.25, 3.0e-8]).buffer).toString("base64");
  assert.deepStrictEqual(Array.from(X.float32s(b64)), [1.5, -2.25, Math.fround(3.0e-8)]);
});

test("a wrong or damaged file gives a clear error", () => {
  assert.throws(() => X.loadModel({ format: "something/else" }), /not a vae-course decoder file/);
  const json = read("mlp2");
  const cut = { ...json, layers: json.layers.map((l, i) => (i === 0 ? { ...l, weight: l.weight.slice(0, 400) } : l)) };
  assert.throws(() => X.loadModel(cut), /the file is damaged/);
  assert.throws(() => X.decode(X.loadModel(json), [0, 0, 0]), /the model has 2 latent dimensions/);
});

test("seeded prior samples are reproducible and standard normal", () => {
  const a = X.normals(3), b = X.normals(3);
  const xs = Array.from({ length: 20000 }, a);
  assert.deepStrictEqual(xs.slice(0, 5), Array.from({ length: 5 }, b));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
  assert.ok(Math.abs(mean) < 4 / Math.sqrt(xs.length), `mean ${mean}`);                 // 4 standard errors
  assert.ok(Math.abs(variance - 1) < 4 * Math.sqrt(2 / xs.length), `variance ${variance}`);
});
