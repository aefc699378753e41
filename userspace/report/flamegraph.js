// The flame graph's script, in every .svg phpmemtrace writes: embedded at build
// time as pmt::kFlameGraphJs (cmake/EmbedText.cmake, report/flamegraph_script.h);
// `node --check` tests it (ctest -R FlameGraphScript).
// Plain ES5 so it runs in old viewers too. Frame boxes carry their original
// position in the rect attributes read at start-up; zoom re-scales from those.
(function () {
  var svg = document.documentElement;
  var W = +svg.getAttribute('data-fw'), PAD = +svg.getAttribute('data-pad');
  var frames = Array.prototype.slice.call(document.querySelectorAll('g.f'));
  var details = document.getElementById('details');
  var unzoomBtn = document.getElementById('unzoom');
  var searchBtn = document.getElementById('search');
  var matchedEl = document.getElementById('matched');
  var defaultDetails = details.textContent;
  var EPS = 0.005;

  frames.forEach(function (g) {
    var r = g.querySelector('rect');
    g._x = +r.getAttribute('x');
    g._w = +r.getAttribute('width');
    g._d = +g.getAttribute('data-d');
  });

  function fit(g, w) {
    var t = g.querySelector('text'), label = g.getAttribute('data-name');
    var n = Math.floor((w - 6) / 6.6);
    t.textContent = n < 3 ? '' : (label.length <= n ? label : label.substring(0, n - 2) + '..');
  }
  function place(g, x, w) {
    var r = g.querySelector('rect'), t = g.querySelector('text');
    r.setAttribute('x', x.toFixed(3));
    r.setAttribute('width', w.toFixed(3));
    t.setAttribute('x', (x + 3).toFixed(3));
    fit(g, w);
  }
  function zoom(target) {
    var x0 = target._x, w0 = target._w, d0 = target._d, scale = (W - 2 * PAD) / w0;
    frames.forEach(function (g) {
      var covers = g._x <= x0 + EPS && g._x + g._w >= x0 + w0 - EPS;
      var inside = g._x >= x0 - EPS && g._x + g._w <= x0 + w0 + EPS;
      if (g._d < d0 && covers) {
        g.style.display = ''; g.classList.add('parent'); place(g, PAD, W - 2 * PAD);
      } else if (g._d >= d0 && inside) {
        g.style.display = ''; g.classList.remove('parent'); place(g, PAD + (g._x - x0) * scale, g._w * scale);
      } else {
        g.style.display = 'none';
      }
    });
    unzoomBtn.classList.remove('hide');
    svg.setAttribute('data-zoomed', target.getAttribute('data-name'));
  }
  function unzoom() {
    frames.forEach(function (g) { g.style.display = ''; g.classList.remove('parent'); place(g, g._x, g._w); });
    unzoomBtn.classList.add('hide');
    svg.removeAttribute('data-zoomed');
  }
  function clearSearch() {
    frames.forEach(function (g) { g.classList.remove('match'); });
    matchedEl.textContent = '';
    searchBtn.textContent = 'Search';
    svg.removeAttribute('data-matched');
  }
  function search(term) {
    clearSearch();
    if (!term) return;
    var re;
    try { re = new RegExp(term, 'i'); } catch (e) { re = new RegExp(term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'); }
    var spans = [];
    frames.forEach(function (g) {
      if (g._d > 0 && re.test(g.getAttribute('data-name'))) { g.classList.add('match'); spans.push([g._x, g._x + g._w]); }
    });
    // Matches nested in other matches cover the same bytes: count the union of spans.
    spans.sort(function (a, b) { return a[0] - b[0]; });
    var covered = 0, end = -1;
    spans.forEach(function (s) {
      if (s[0] >= end) { covered += s[1] - s[0]; end = s[1]; }
      else if (s[1] > end) { covered += s[1] - end; end = s[1]; }
    });
    var pct = (100 * covered / (W - 2 * PAD)).toFixed(1);
    matchedEl.textContent = 'Matched "' + term + '": ' + spans.length + ' frames, ' + pct + '%';
    searchBtn.textContent = 'Reset search';
    svg.setAttribute('data-matched', String(spans.length));
  }
  function askSearch() {
    if (svg.hasAttribute('data-matched')) { clearSearch(); return; }
    var term = window.prompt('Search frames (regular expression, case-insensitive):', '');
    if (term) search(term);
  }

  frames.forEach(function (g) {
    g.addEventListener('mouseover', function () { details.textContent = g.querySelector('title').textContent; });
    g.addEventListener('mouseout', function () { details.textContent = defaultDetails; });
    g.addEventListener('click', function () { if (g._d === 0) unzoom(); else zoom(g); });
  });
  unzoomBtn.addEventListener('click', unzoom);
  searchBtn.addEventListener('click', askSearch);
  window.addEventListener('keydown', function (e) {
    if ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) { e.preventDefault(); askSearch(); }
    else if (e.key === 'Escape') { clearSearch(); unzoom(); }
  });

  frames.forEach(function (g) { fit(g, g._w); });
  var params = {};
  (window.location.search || '').replace(/^\?/, '').split('&').forEach(function (kv) {
    var i = kv.indexOf('=');
    if (i > 0) params[decodeURIComponent(kv.substring(0, i))] = decodeURIComponent(kv.substring(i + 1).replace(/\+/g, ' '));
  });
  if (params.x) {
    var best = null;
    frames.forEach(function (g) { if (g.getAttribute('data-name') === params.x && (!best || g._w > best._w)) best = g; });
    if (best) zoom(best);
  }
  if (params.s) search(params.s);
  svg.setAttribute('data-ready', String(frames.length));
})();
