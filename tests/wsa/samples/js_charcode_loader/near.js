var key = String.fromCharCode(13);
if (ev.keyCode === 13) { submit(); }
