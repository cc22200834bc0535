/// The page's canvas (part of `WebPage`): draw a digit with the mouse or a finger (pointer events), then
/// re-draw it as any class (SDEdit, with a strength slider), clean it up as itself (SDEdit toward the null
/// class), or rub part of it out with the eraser and let the model complete it (inpainting, as any digit or
/// as the one chosen). Before sending,
/// the strokes are framed as MNIST frames its digits (bounding box scaled into 20x20, centre of mass at the
/// centre of 28x28) and sent as 784 bytes (plus 784 of mask) to `POST /api/edit` (`CanvasRoutes`).
enum CanvasPage {
    static let html = #"""
<h2 id="canvasTitle">Draw your own</h2>
<p class="sub">Draw a digit below (mouse or finger), then have the model re-draw it as any digit, clean it up, or rub part of it out and let the model complete it.</p>
<div class="canvasRow">
  <canvas id="pad" width="280" height="280" aria-label="drawing pad"></canvas>
  <div class="canvasTools">
    <div class="row">
      <button id="penTool" class="tool on">Pen</button>
      <button id="eraseTool" class="tool">Eraser</button>
      <button id="clearPad">Clear</button>
    </div>
    <div class="row">
      <label for="strength">Strength</label>
      <input type="range" id="strength" min="0.05" max="1" step="0.05" value="0.6">
      <output id="strengthValue">0.6</output>
    </div>
    <div class="row">Re-draw as:</div>
    <div class="targets" id="targets"></div>
    <div class="row">
      <button id="cleanUp">Clean up as itself</button>
      <button id="complete">Complete the erased part</button>
      <label for="completeAs">as</label>
      <select id="completeAs"><option value="">any digit</option></select>
    </div>
    <div class="row">
      <label for="resample">Resampling u</label>
      <input type="number" id="resample" min="1" max="10" value="3">
    </div>
  </div>
  <div class="canvasOut">
    <div class="caption">the model saw</div>
    <canvas id="sent" width="112" height="112"></canvas>
    <div class="caption">result</div>
    <img id="editResult" alt="" width="224" height="224" hidden>
  </div>
</div>
<div id="editStatus">Draw a digit, then press a button.</div>
<div id="editError"></div>
<style>
  .canvasRow { display: flex; gap: 1rem; flex-wrap: wrap; align-items: flex-start; }
  #pad { background: black; border-radius: .5rem; touch-action: none; cursor: crosshair; width: 280px; height: 280px; }
  .canvasTools { display: flex; flex-direction: column; gap: .2rem; }
  .targets button { font-size: 1.1rem; width: 2.4rem; height: 2.4rem; margin: .1rem; border-radius: .4rem; border: 1px solid #bbb; background: white; cursor: pointer; }
  button.tool.on { background: #dde; font-weight: 600; }
  .canvasOut img, .canvasOut canvas { image-rendering: pixelated; background: black; display: block; }
  .caption { color: #666; font-size: .8rem; margin-top: .3rem; }
  #editStatus { color: #555; font-size: .9rem; margin-top: .5rem; }
  #editError { color: #b00020; font-weight: 600; }
</style>
<script>
(() => {
  const $ = id => document.getElementById(id);
  const W = 280, pad = $('pad'), view = pad.getContext('2d');
  // The ink (white strokes on black) and the erased area (opaque where rubbed out), kept apart from the view.
  const ink = document.createElement('canvas'), erased = document.createElement('canvas');
  ink.width = ink.height = erased.width = erased.height = W;
  const inkCtx = ink.getContext('2d', { willReadFrequently: true }), erasedCtx = erased.getContext('2d', { willReadFrequently: true });
  let tool = 'pen', last = null;
  function clearAll() {
    inkCtx.fillStyle = 'black'; inkCtx.fillRect(0, 0, W, W);
    erasedCtx.clearRect(0, 0, W, W);
    show();
  }
  function show() {
    view.drawImage(ink, 0, 0);
    view.globalAlpha = 0.35; view.drawImage(erased, 0, 0); view.globalAlpha = 1;
  }
  function stroke(a, b) {
    for (const [ctx, color, width] of tool === 'pen' ? [[inkCtx, 'white', 22]] : [[inkCtx, 'black', 36], [erasedCtx, '#e33', 36]]) {
      ctx.strokeStyle = color; ctx.lineWidth = width; ctx.lineCap = ctx.lineJoin = 'round';
      ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); ctx.stroke();
    }
    show();
  }
  const at = e => { const r = pad.getBoundingClientRect(); return { x: (e.clientX - r.left) * W / r.width, y: (e.clientY - r.top) * W / r.height }; };
  pad.addEventListener('pointerdown', e => { pad.setPointerCapture(e.pointerId); last = at(e); stroke(last, last); });
  pad.addEventListener('pointermove', e => { if (last) { const p = at(e); stroke(last, p); last = p; } });
  for (const type of ['pointerup', 'pointercancel']) pad.addEventListener(type, () => { last = null; });
  function pick(name) { tool = name; $('penTool').classList.toggle('on', name === 'pen'); $('eraseTool').classList.toggle('on', name === 'erase'); }
  $('penTool').onclick = () => pick('pen');
  $('eraseTool').onclick = () => pick('erase');
  $('clearPad').onclick = clearAll;
  $('strength').oninput = () => $('strengthValue').textContent = $('strength').value;
  for (let d = 0; d <= 9; d++) {
    const b = document.createElement('button');
    b.textContent = d; b.id = `as${d}`;
    b.onclick = () => edit('sdedit', `&digit=${d}&strength=${$('strength').value}`);
    $('targets').appendChild(b);
  }
  $('cleanUp').onclick = () => edit('clean', `&strength=${$('strength').value}`);
  for (let d = 0; d <= 9; d++) $('completeAs').add(new Option(String(d), String(d)));
  $('complete').onclick = () => edit('inpaint', `&resample=${$('resample').value}` + ($('completeAs').value ? `&digit=${$('completeAs').value}` : ''));

  // MNIST's framing: the box of the ink (and of the erased area) as a square, scaled to 20x20, its centre of
  // mass moved to the centre of 28x28. Returns 784 ink values in [0, 1] and 784 erased flags, or null if empty.
  function framed() {
    const a = inkCtx.getImageData(0, 0, W, W).data, m = erasedCtx.getImageData(0, 0, W, W).data;
    const inkAt = i => a[4 * i] / 255, erasedAt = i => m[4 * i + 3] > 0 ? 1 : 0;
    let x0 = W, y0 = W, x1 = -1, y1 = -1;
    for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) {
      const i = y * W + x;
      if (inkAt(i) > 0.2 || erasedAt(i)) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
    if (x1 < 0) return null;
    const size = Math.max(x1 - x0 + 1, y1 - y0 + 1), sx = x0 - (size - (x1 - x0 + 1)) / 2, sy = y0 - (size - (y1 - y0 + 1)) / 2;
    const box = (value, outside) => {
      const out = new Float32Array(400), step = size / 20;
      for (let r = 0; r < 20; r++) for (let c = 0; c < 20; c++) {
        let sum = 0, n = 0;
        for (let y = Math.floor(sy + r * step); y < Math.ceil(sy + (r + 1) * step); y++)
          for (let x = Math.floor(sx + c * step); x < Math.ceil(sx + (c + 1) * step); x++) {
            sum += x >= 0 && y >= 0 && x < W && y < W ? value(y * W + x) : outside; n++;
          }
        out[r * 20 + c] = n ? sum / n : outside;
      }
      return out;
    };
    const inkBox = box(inkAt, 0), erasedBox = box(erasedAt, 0);
    // Centred by the ink's centre of mass, as MNIST; with an erased part, by the box (the missing ink would
    // otherwise pull the drawing off centre and push the erased part against the edge).
    let mass = 0, mx = 0, my = 0;
    if (!erasedBox.some(v => v >= 0.5)) inkBox.forEach((v, i) => { mass += v; mx += v * (i % 20); my += v * Math.floor(i / 20); });
    const dx = mass ? Math.min(8, Math.max(0, Math.round(13.5 - mx / mass))) : 4;
    const dy = mass ? Math.min(8, Math.max(0, Math.round(13.5 - my / mass))) : 4;
    const place = src => { const out = new Float32Array(784); src.forEach((v, i) => { out[(Math.floor(i / 20) + dy) * 28 + (i % 20) + dx] = v; }); return out; };
    return { ink: place(inkBox), erased: place(erasedBox) };
  }

  function preview(values, erasedFlags) {
    const ctx = $('sent').getContext('2d'), img = ctx.createImageData(28, 28);
    values.forEach((v, i) => {
      const g = Math.round(v * 255), e = erasedFlags && erasedFlags[i] >= 0.5;
      img.data.set(e ? [200, 40, 40, 255] : [g, g, g, 255], 4 * i);
    });
    const small = document.createElement('canvas'); small.width = small.height = 28;
    small.getContext('2d').putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false; ctx.drawImage(small, 0, 0, 112, 112);
  }

  async function edit(mode, extra) {
    const f = framed();
    $('editError').textContent = '';
    if (!f) { $('editError').textContent = 'Draw a digit first.'; return; }
    const inpaint = mode === 'inpaint';
    if (inpaint && !f.erased.some(v => v >= 0.5)) { $('editError').textContent = 'Rub part of the drawing out with the Eraser first.'; return; }
    const body = new Uint8Array(inpaint ? 1568 : 784);
    f.ink.forEach((v, i) => { body[i] = Math.round(Math.min(1, Math.max(0, v)) * 255); });
    if (inpaint) f.erased.forEach((v, i) => { body[784 + i] = v >= 0.5 ? 255 : 0; });
    preview(f.ink, inpaint ? f.erased : null);
    const seed = document.getElementById('seed') ? document.getElementById('seed').value : 1;
    $('editStatus').textContent = 'Denoising…';
    const started = performance.now();
    try {
      const response = await fetch(`/api/edit?mode=${mode}${extra}&seed=${seed}&scale=8`,
                                   { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body });
      if (!response.ok) {
        let message = response.statusText;
        try { message = (await response.json()).error; } catch (_) {}
        throw new Error(`${response.status}: ${message}`);
      }
      $('editResult').src = URL.createObjectURL(await response.blob());
      $('editResult').hidden = false;
      const what = mode === 'sdedit' ? `Re-drawn as ${extra.match(/digit=(\d)/)[1]}` : mode === 'clean' ? 'Cleaned up' : 'Completed';
      $('editStatus').textContent = `${what}: ${Math.round(performance.now() - started)} ms, seed ${response.headers.get('X-Seed')}.`;
    } catch (e) {
      $('editStatus').textContent = '';
      $('editError').textContent = e.message;
    }
  }
  clearAll();
})();
</script>
"""#
}
