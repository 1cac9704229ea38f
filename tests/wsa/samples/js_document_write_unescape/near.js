document.getElementById('x').textContent = unescape(label);
