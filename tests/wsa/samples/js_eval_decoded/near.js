var label = atob(encoded);
var f = new Function("a", "return a + 1");
setTimeout(refresh, 1000);
