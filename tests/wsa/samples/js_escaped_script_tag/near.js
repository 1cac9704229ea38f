var lt = "\x3c"; // a bare escaped angle bracket
var html = "<script" + ">" + "</" + "script>";
