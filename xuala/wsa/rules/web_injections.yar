// Xuala WSA: injected scripts and iframes, SEO spam and cloaking, phishing kits, cryptominers.

rule js_document_write_unescape
{
    meta:
        kind = "malware"
        severity = "high"
        description = "document.write of unescaped or char-coded markup (injected loader)"
    strings:
        $a = /document\.write\s*\(\s*(unescape|decodeURIComponent|atob|String\.fromCharCode)\s*\(/ nocase
    condition:
        $a
}

rule js_charcode_loader
{
    meta:
        kind = "malware"
        severity = "high"
        description = "long String.fromCharCode list fed to eval or a script element"
    strings:
        $codes = /String\.fromCharCode\s*\(\s*[0-9]{2,3}\s*,\s*[0-9]{2,3}\s*,\s*[0-9]{2,3}\s*,\s*[0-9]{2,3}\s*,\s*[0-9]{2,3}\s*,\s*[0-9]{2,3}\s*,\s*[0-9]{2,3}\s*,\s*[0-9]{2,3}/
        $eval = /\beval\s*\(/
        $el = "createElement" nocase
    condition:
        $codes and ($eval or $el)
}

rule js_obfuscator_injection
{
    meta:
        kind = "malware"
        severity = "high"
        description = "javascript-obfuscator style code (_0x names) building a script or redirect"
    strings:
        $var = /(var|const|let)\s+_0x[0-9a-f]{4,6}\s*=/
        $sink1 = "createElement" nocase
        $sink2 = "location" nocase
        $sink3 = "document.write" nocase
        $sink4 = /\beval\s*\(/
    condition:
        #var >= 2 and any of ($sink*)
}

rule html_hidden_iframe
{
    meta:
        kind = "malware"
        severity = "high"
        description = "iframe to a remote address hidden by size, position or style"
    strings:
        $a = /<iframe[^>]{0,200}src\s*=\s*["']?(https?:)?\/\/[^>]{0,200}([\s"']width\s*=\s*["']?[01]["'\s>]|[\s"']height\s*=\s*["']?[01]["'\s>]|display\s*:\s*none|visibility\s*:\s*hidden|left\s*:\s*-[0-9]{3,}px)/ nocase
        $b = /<iframe[^>]{0,200}([\s"']width\s*=\s*["']?[01]["'\s>]|[\s"']height\s*=\s*["']?[01]["'\s>]|display\s*:\s*none|visibility\s*:\s*hidden|left\s*:\s*-[0-9]{3,}px)[^>]{0,200}src\s*=\s*["']?(https?:)?\/\// nocase
    condition:
        any of them
}

rule html_script_after_html_end
{
    meta:
        kind = "malware"
        severity = "high"
        description = "remote script appended after the end of the document"
    strings:
        $a = /<\/html>\s*<script[^>]{0,100}src\s*=\s*["']?(https?:)?\/\// nocase
    condition:
        $a
}

rule js_injected_remote_loader
{
    meta:
        kind = "malware"
        severity = "high"
        description = "script element built in code and pointed at a numeric IP or a .php/.txt address"
    strings:
        $el = /createElement\s*\(\s*['"]script['"]\s*\)/ nocase
        $src1 = /\.src\s*=\s*['"]https?:\/\/[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}/ nocase
        $src2 = /\.src\s*=\s*['"]https?:\/\/[^'"\n]{4,100}\.(php|txt|png|jpg)(\?[^'"\n]{0,80})?['"]/ nocase
    condition:
        $el and any of ($src*)
}

rule seo_hidden_links
{
    meta:
        kind = "malware"
        severity = "high"
        description = "links hidden from visitors (SEO spam)"
    strings:
        $a = /<(div|span|p)[^>]{0,80}style\s*=\s*["'][^"']{0,80}(display\s*:\s*none|visibility\s*:\s*hidden|left\s*:\s*-[0-9]{3,}px|top\s*:\s*-[0-9]{3,}px|font-size\s*:\s*[01]px)[^>]{0,80}>\s*(<[^>]{0,40}>\s*){0,3}[^<]{0,200}<a\s[^>]{0,40}href\s*=\s*["']?https?:/ nocase
    condition:
        $a
}

rule seo_spam_keywords
{
    meta:
        kind = "malware"
        severity = "medium"
        description = "pharma, casino or loan spam vocabulary with links"
    strings:
        $k1 = "viagra" nocase
        $k2 = "cialis" nocase
        $k3 = "levitra" nocase
        $k4 = "online casino" nocase
        $k5 = "payday loan" nocase
        $k6 = "replica watches" nocase
        $k7 = "buy tramadol" nocase
        $k8 = "essay writing service" nocase
        $link = "<a href" nocase
    condition:
        2 of ($k*) and $link
}

rule seo_cloaking
{
    meta:
        kind = "malware"
        severity = "high"
        description = "different content for search-engine crawlers or search visitors (cloaking)"
    strings:
        $php = "<?" 
        $bot = /googlebot|bingbot|yandexbot|baiduspider/ nocase
        $ua = /HTTP_USER_AGENT|HTTP_REFERER/
        $act1 = /\b(file_get_contents|curl_exec|fopen|readfile)\s*\(\s*['"]?https?:/ nocase
        $act2 = /header\s*\(\s*['"]Location\s*:\s*https?:/ nocase
        $act3 = /\b(file_get_contents|curl_exec)\s*\(/ nocase
    condition:
        $php and $bot and $ua and any of ($act*)
}

rule phishing_kit_collector
{
    meta:
        kind = "malware"
        severity = "high"
        description = "phishing kit: posted credentials or card data sent away by mail or to a chat bot"
    strings:
        $post = "$_POST" nocase
        $out1 = /\bmail\s*\(/ nocase
        $out2 = "api.telegram.org/bot" nocase
        $f1 = /['"](pass(word|wd)?|pwd)['"]/ nocase
        $f2 = /['"](cvv2?|ccnum|cardnumber|card_number|expdate|exp_date|ssn)['"]/ nocase
        $ip = "REMOTE_ADDR" nocase
    condition:
        $post and any of ($out*) and any of ($f*) and ($ip or $out2)
}

rule cryptominer
{
    meta:
        kind = "malware"
        severity = "high"
        description = "browser or server cryptocurrency miner"
    strings:
        $a1 = "coinhive.min.js" nocase
        $a2 = "CoinHive.Anonymous" nocase
        $a3 = "coin-hive.com" nocase
        $a4 = "authedmine.com" nocase
        $a5 = "cryptonight" nocase
        $a6 = "stratum+tcp://" nocase
        $a7 = "webminepool" nocase
        $a8 = "CryptoLoot" nocase
        $a9 = "deepMiner" nocase
        $a10 = "xmrig" nocase
    condition:
        any of them
}

rule js_eval_decoded
{
    meta:
        kind = "malware"
        severity = "high"
        description = "JavaScript evaluating decoded text (atob, unescape, char codes)"
    strings:
        $eval = /\beval\s*\(\s*(window\.)?(atob|unescape|decodeURIComponent|String\.fromCharCode)\s*\(/
        $func = /new\s+Function\s*\(\s*(window\.)?(atob|unescape|decodeURIComponent|String\.fromCharCode)\s*\(/
        $timer = /set(Timeout|Interval)\s*\(\s*(window\.)?(atob|unescape|String\.fromCharCode)\s*\(/
    condition:
        any of them
}

rule js_escaped_script_tag
{
    meta:
        kind = "malware"
        severity = "high"
        description = "a script tag spelled in escapes and written into the page"
    strings:
        $tag1 = /\\x3c\\x73\\x63\\x72\\x69\\x70\\x74/ nocase
        $tag2 = /\\u003c\\u0073\\u0063\\u0072\\u0069\\u0070\\u0074/ nocase
        $tag3 = "%3C%73%63%72%69%70%74" nocase
        $tag4 = /(\\x3c|\\u003c)script[^'"\n]{0,60}src/ nocase
    condition:
        any of them
}
