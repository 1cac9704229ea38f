var _0x3f2a = 1; // one odd name
window.location.reload();
