import Diffusion

/// The single page served at `/`: pick a digit (or type a number), set sampler, guidance, steps and seed, and
/// see the result large and crisp; optionally watch the denoising from noise to digit as an animation (x_t and
/// x0hat, one frame per step) or as a strip. Its defaults are `SamplingSettings.defaults`. With `clothing`, a
/// Model choice switches the ten buttons to Fashion-MNIST's classes (`model=fashion`, chapter 5). Below, the
/// canvas (`CanvasPage`): draw a digit and have it re-drawn, cleaned up or completed.
enum WebPage {
    static func html(clothing: Bool) -> String { #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Diffusion from Scratch: draw a digit</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 820px; color: #222; background: #fafafa; }
  h1 { font-size: 1.5rem; margin-bottom: .2rem; }
  p.sub { color: #666; margin-top: 0; }
  .digits button { font-size: 1.6rem; width: 3.2rem; height: 3.2rem; margin: .15rem; border-radius: .5rem; border: 1px solid #bbb; background: white; cursor: pointer; }
  .digits button:hover { background: #eef; }
  .controls { display: grid; grid-template-columns: 9rem 1fr 4rem; gap: .5rem 1rem; align-items: center; margin: 1rem 0; }
  .controls output { font-variant-numeric: tabular-nums; }
  .row { display: flex; gap: .5rem; align-items: center; margin: .5rem 0; }
  input[type=text], input[type=number] { font-size: 1rem; padding: .3rem .5rem; }
  #result { margin-top: 1rem; min-height: 240px; }
  #result img { image-rendering: pixelated; image-rendering: crisp-edges; background: black; display: block; margin: .5rem 0; max-width: 100%; }
  #status { color: #555; font-size: .9rem; }
  #error { color: #b00020; font-weight: 600; }
</style>
</head>
<body>
<h1>Draw a digit</h1>
<p class="sub">A class-conditional diffusion model trained from scratch in Swift on a CPU. Pick a digit; it starts from pure noise.</p>

<div class="row" id="modelRow" \#(clothing ? "" : "hidden")>
  <label for="model">Model</label>
  <select id="model">
    <option value="digits">Digits (MNIST)</option>
    <option value="fashion">Clothing (Fashion-MNIST)</option>
  </select>
</div>

<div class="digits" id="digits"></div>

<div class="row" id="numberRow">
  <label for="number">Number</label>
  <input type="text" id="number" placeholder="2026" maxlength="12" inputmode="numeric">
  <button id="drawNumber">Draw number</button>
</div>

<div class="controls">
  <label for="sampler">Sampler</label>
  <select id="sampler">
    <option value="dpm-solver">DPM-Solver++ (2M)</option>
    <option value="ddim">DDIM</option>
  </select>
  <span></span>
  <label for="guidance">Guidance w</label>
  <input type="range" id="guidance" min="0" max="6" step="0.05" value="\#(SamplingSettings.defaults.guidance)">
  <output id="guidanceValue">\#(SamplingSettings.defaults.guidance)</output>
  <label for="steps">Steps</label>
  <input type="range" id="steps" min="1" max="50" step="1" value="\#(SamplingSettings.defaults.steps)">
  <output id="stepsValue">\#(SamplingSettings.defaults.steps)</output>
  <label for="seed">Seed</label>
  <input type="number" id="seed" min="0" value="1">
  <button id="randomSeed" title="a new random seed">random</button>
  <label for="animate">Watch denoising</label>
  <input type="checkbox" id="animate" checked>
  <span></span>
  <label for="trajectory">As a strip</label>
  <input type="checkbox" id="trajectory">
  <span></span>
</div>

<div id="result">
  <div id="status">Press a digit.</div>
  <div id="error"></div>
  <img id="image" alt="" hidden>
</div>

\#(CanvasPage.html)

<script>
const $ = id => document.getElementById(id);
const clothes = [\#(Dataset.fashionMNIST.classNames.map { "'\($0)'" }.joined(separator: ", "))];
function labelButtons() {
  const fashion = $('model').value === 'fashion';
  $('digits').querySelectorAll('button').forEach((b, d) => {
    b.textContent = fashion ? clothes[d] : d;
    b.style.width = fashion ? 'auto' : '';
    b.style.fontSize = fashion ? '1rem' : '';
  });
  $('numberRow').hidden = fashion;
}
for (let d = 0; d <= 9; d++) {
  const b = document.createElement('button');
  b.onclick = () => draw(`/api/generate?digit=${d}&model=${$('model').value}`, 1);
  $('digits').appendChild(b);
}
$('model').onchange = labelButtons;
$('guidance').oninput = () => $('guidanceValue').textContent = $('guidance').value;
$('steps').oninput = () => $('stepsValue').textContent = $('steps').value;
$('randomSeed').onclick = () => $('seed').value = Math.floor(Math.random() * 1e6);
$('drawNumber').onclick = () => {
  const n = $('number').value.trim();
  draw(`/api/number?digits=${encodeURIComponent(n)}`, Math.max(n.length, 1));
};
$('number').addEventListener('keydown', e => { if (e.key === 'Enter') $('drawNumber').click(); });

// Links like /?digit=7&guidance=0.5&steps=10&seed=1 (or ?number=2026) draw on load, so a result can be shared.
const params = new URLSearchParams(location.search);
for (const [key, id] of [['model', 'model'], ['sampler', 'sampler'], ['guidance', 'guidance'], ['steps', 'steps'], ['seed', 'seed']]) {
  if (params.has(key)) { $(id).value = params.get(key); $(id).dispatchEvent(new Event('input')); }
}
if (params.has('animate')) $('animate').checked = params.get('animate') === '1';
if (params.get('trajectory') === '1') { $('trajectory').checked = true; $('animate').checked = false; }
$('trajectory').onchange = () => { if ($('trajectory').checked) $('animate').checked = false; };
$('animate').onchange = () => { if ($('animate').checked) $('trajectory').checked = false; };
labelButtons();
if (params.has('digit')) draw(`/api/generate?digit=${encodeURIComponent(params.get('digit'))}&model=${$('model').value}`, 1);
else if (params.has('number')) { $('number').value = params.get('number'); $('drawNumber').click(); }

async function draw(path, count) {
  const traj = $('trajectory').checked, anim = $('animate').checked;
  // An animation keeps every frame (steps + 1, x_t and x0hat per digit): the scale shrinks to stay in the server's budget.
  const frames = ($('sampler').value === 'ddpm' ? \#(DigitRequest.maxSteps) : Number($('steps').value)) + 1;
  const animScale = Math.max(1, Math.min(6, Math.floor(Math.sqrt(\#(DigitRequest.maxAnimationPixels) / (frames * 2 * count * 784)))));
  const q = `sampler=${$('sampler').value}&guidance=${$('guidance').value}&steps=${$('steps').value}&seed=${$('seed').value}` +
            (anim ? `&animate=1&scale=${animScale}` : traj ? '&trajectory=1&scale=10' : '&scale=10');
  const url = `${path}&${q}`;
  $('status').textContent = 'Denoising…';
  $('error').textContent = '';
  const started = performance.now();
  try {
    let response = await fetch(url);
    // A 503 means the one sampling slot is taken: wait as long as Retry-After asks, then try again (three times).
    for (let retry = 1; response.status === 503 && retry <= 3; retry++) {
      const wait = Math.min(10, Math.max(1, Number(response.headers.get('Retry-After')) || 2));
      $('status').textContent = `The server is busy; trying again in ${wait} s (${retry} of 3)…`;
      await new Promise(resolve => setTimeout(resolve, wait * 1000));
      $('status').textContent = 'Denoising…';
      response = await fetch(url);
    }
    if (!response.ok) {
      let message = response.statusText;
      try { message = (await response.json()).error; } catch (_) {}
      throw new Error(`${response.status}: ${message}`);
    }
    const blob = await response.blob();
    const img = $('image');
    img.src = URL.createObjectURL(blob);
    img.hidden = false;
    const ms = Math.round(performance.now() - started);
    const what = anim ? 'The denoising, x_t (left) and the predicted x_0 (right) at each step' : traj ? 'From noise (left) to digit (right)' : 'Done';
    $('status').textContent = `${what}: ${ms} ms, seed ${response.headers.get('X-Seed')}.`;
  } catch (e) {
    $('status').textContent = '';
    $('error').textContent = e.message;
  }
}
</script>
</body>
</html>
"""#
    }
}
