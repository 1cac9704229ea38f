var s = document.createElement('script'); s.src = 'https://www.googletagmanager.com/gtag/js?id=G-1'; document.head.appendChild(s);
