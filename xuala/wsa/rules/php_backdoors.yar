// Xuala WSA: PHP web shells and backdoors, written for behaviour, not for particular samples.
// Common YARA syntax only: these rules compile in yara-x and in YARA 4.x.

rule php_exec_request_data
{
    meta:
        kind = "malware"
        severity = "critical"
        description = "request data passed straight into code or command execution"
    strings:
        $a = /\b(eval|assert|system|exec|passthru|shell_exec|popen|proc_open|pcntl_exec|create_function)\s*\(\s*[^;]{0,80}\$_(GET|POST|REQUEST|COOKIE|FILES|SERVER\s*\[\s*['"]HTTP_)/ nocase
    condition:
        $a
}

rule php_request_callable
{
    meta:
        kind = "malware"
        severity = "critical"
        description = "request data called as a function or given to a callback runner"
    strings:
        $call = /\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]]{1,40}\]\s*\(/
        $cb = /\b(call_user_func(_array)?|array_map|array_filter|array_walk|usort|uasort|uksort|register_shutdown_function|register_tick_function|forward_static_call(_array)?)\s*\(\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $extract = /\b(extract|parse_str)\s*\(\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $cb2 = /\b(usort|uasort|uksort|array_filter|array_walk|array_walk_recursive|array_reduce|preg_replace_callback|iterator_apply)\s*\([^;,]{1,60},\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
    condition:
        any of them
}

rule php_include_request_data
{
    meta:
        kind = "malware"
        severity = "critical"
        description = "include/require of a path taken from request data"
    strings:
        $a = /\b(include|require)(_once)?\s*[\(\s]\s*[^;\n`*#]{0,40}\$_(GET|POST|REQUEST|COOKIE|FILES)/ nocase
    condition:
        $a
}

rule php_eval_decoded
{
    meta:
        kind = "malware"
        severity = "critical"
        description = "eval/assert of decoded or decompressed data"
    strings:
        $a = /\b(eval|assert)\s*\(\s*@?\s*(base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|hex2bin|convert_uudecode|rawurldecode|urldecode|pack|stripslashes|file_get_contents)\s*\(/ nocase
        $b = /\b(eval|assert)\s*\([^;\n]{0,40}\b(base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|convert_uudecode)\s*\(/ nocase
        $c = /\beval\s*\(\s*['"]\?>['"]\s*\./ nocase
    condition:
        any of them
}

rule php_decoder_chain
{
    meta:
        kind = "malware"
        severity = "high"
        description = "nested decoding chain (base64/gzinflate/str_rot13/...)"
    strings:
        $a = /\b(base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|convert_uudecode|hex2bin)\s*\(\s*@?\s*(base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|convert_uudecode|hex2bin)\s*\(/ nocase
    condition:
        $a
}

rule php_preg_replace_eval
{
    meta:
        kind = "malware"
        severity = "high"
        description = "preg_replace with the /e (evaluate) modifier"
    strings:
        $a = /preg_replace\s*\(\s*['"][^'"]{1,200}[\/#|~!@%][imsxuADSUXJ]{0,6}e[imsxuADSUXJ]{0,6}['"]\s*,/
    condition:
        $a
}

rule php_hidden_function_names
{
    meta:
        kind = "malware"
        severity = "high"
        description = "dangerous function names hidden by escapes, reversal or rot13"
    strings:
        $hex_eval = "\\x65\\x76\\x61\\x6c" nocase
        $hex_base64 = "\\x62\\x61\\x73\\x65\\x36\\x34" nocase
        $hex_assert = "\\x61\\x73\\x73\\x65\\x72\\x74" nocase
        $hex_system = "\\x73\\x79\\x73\\x74\\x65\\x6d" nocase
        $hex_gzinflate = "\\x67\\x7a\\x69\\x6e\\x66" nocase
        $hex_create = "\\x63\\x72\\x65\\x61\\x74\\x65\\x5f" nocase
        $oct_eval = "\\145\\166\\141\\154"
        $oct_base64 = "\\142\\141\\163\\145\\66\\64"
        $oct_assert = "\\141\\163\\163\\145\\162\\164"
        $rev_base64 = "edoced_46esab" nocase
        $rev_gzinflate = "etalfnizg" nocase
        $rev_create = "noitcnuf_etaerc" nocase
        $rev_assert = /['"]tressa['"]/ nocase
        $rot_base64 = "onfr64_qrpbqr" nocase
        $rot_gzinflate = "tmvasyngr" nocase
        $rot_create = "perngr_shapgvba" nocase
        $rot_eval = /str_rot13\s*\(\s*['"](riny|nffreg|flfgrz|cnffgueh|furyy_rkrp)['"]/ nocase
        $name_in_var = /\$[a-zA-Z_\x7f-\xff][a-zA-Z0-9_\x7f-\xff]{0,30}(\s*\[[^\]]{1,20}\])?\s*=\s*['"](base64_decode|gzinflate|gzuncompress|str_rot13|eval|assert|system|shell_exec|passthru|create_function|proc_open|popen)['"]\s*;/ nocase
    condition:
        any of them
}

rule php_chr_chain
{
    meta:
        kind = "malware"
        severity = "high"
        description = "strings built from long chains of chr() calls"
    strings:
        $a = /chr\s*\(\s*[0-9]{2,3}\s*\)\s*\.\s*chr\s*\(\s*[0-9]{2,3}\s*\)\s*\.\s*chr\s*\(\s*[0-9]{2,3}\s*\)\s*\.\s*chr\s*\(\s*[0-9]{2,3}\s*\)/ nocase
    condition:
        $a
}

rule php_variable_superglobal
{
    meta:
        kind = "malware"
        severity = "high"
        description = "superglobal reached through a variable variable, $GLOBALS lookup or string arithmetic"
    strings:
        $vv = /\$\{\s*['"]_(G|P|R|C)/
        $vv2 = /\$\{\s*['"][^'"]{0,6}['"]\s*\.\s*['"]/
        $xor = /\$_+\s*=\s*\(?\s*['"][^'"\n]{1,8}['"]\s*\^\s*['"]/
        $glob = /\$GLOBALS\s*\[\s*['"][^'"]{0,12}['"]\s*\]\s*\[[^\]]{1,40}\]\s*\(/
    condition:
        any of them
}

rule php_uploader
{
    meta:
        kind = "malware"
        severity = "high"
        description = "uploader or dropper: request data or a remote download written to disk"
    strings:
        $mv = /\b(move_uploaded_file|copy|rename)\s*\(\s*\$_FILES\s*\[/ nocase
        $put = /\b(file_put_contents|fwrite|fputs)\s*\([^;]{0,120}\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $dropper = /\b(file_put_contents|fopen)\s*\(\s*['"][^'"\n]{0,100}\.(php[0-9]?|phtml)['"]/ nocase
        $remote = /\b(file_get_contents|fopen|curl_init)\s*\(\s*['"]https?:\/\/[^'"\n]{4,200}\.(txt|jpg|png|gif)['"]/ nocase
    condition:
        $mv or $put or ($dropper and $remote)
}

rule php_mailer_request
{
    meta:
        kind = "malware"
        severity = "high"
        description = "mail() sent with addresses or bodies taken straight from the request, or to a posted list"
    strings:
        $a = /\bmail\s*\(\s*[^;]{0,30}\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $list = /explode\s*\(\s*["'](\\r)?\\n["']\s*,\s*\$_(POST|GET|REQUEST)/ nocase
        $mail = /[^>:$a-zA-Z0-9_]mail\s*\(/
    condition:
        $a or ($list and $mail)
}

rule php_shell_toolkit
{
    meta:
        kind = "malware"
        severity = "critical"
        description = "file manager / command shell: many host-reconnaissance and command features in one file"
    strings:
        $exec1 = "shell_exec" nocase
        $exec2 = "passthru" nocase
        $exec3 = "proc_open" nocase
        $exec4 = /\bpopen\s*\(/ nocase
        $exec5 = /\bsystem\s*\(\s*\$/ nocase
        $recon1 = "php_uname" nocase
        $recon2 = "posix_getpwuid" nocase
        $recon3 = "disable_functions" nocase
        $recon4 = "safe_mode" nocase
        $recon5 = "uname -a" nocase
        $recon6 = "/etc/passwd" nocase
        $recon7 = "posix_getgrgid" nocase
        $recon8 = "getmyuid" nocase
        $fm1 = "move_uploaded_file" nocase
        $fm2 = "$_FILES" nocase
        $fm3 = "fileperms" nocase
        $fm4 = "is_writable" nocase
        $fm5 = /\b(un)?link\s*\(\s*\$_(GET|POST|REQUEST)/ nocase
        $fm6 = "$HTTP_POST_FILES" nocase
        $recon9 = "/etc/shadow" nocase
        $recon10 = "netstat -an" nocase
        $recon11 = "getenv(\"SERVER_SOFTWARE\")" nocase
        $req1 = "$_POST" nocase
        $req2 = "$_REQUEST" nocase
        $req3 = "$_GET" nocase
        $req4 = "$HTTP_POST_VARS" nocase
        $req5 = "$HTTP_GET_VARS" nocase
    condition:
        any of ($req*) and 1 of ($exec*) and 2 of ($recon*) and 1 of ($fm*) and 7 of them
}

rule php_reverse_shell
{
    meta:
        kind = "malware"
        severity = "critical"
        description = "network socket wired to a system shell"
    strings:
        $sock1 = "fsockopen" nocase
        $sock2 = "socket_create" nocase
        $sock3 = "stream_socket_client" nocase
        $sh1 = "/bin/sh" nocase
        $sh2 = "/bin/bash" nocase
        $sh3 = "cmd.exe" nocase
        $p1 = "proc_open" nocase
        $p2 = /\b(exec|system|popen|shell_exec|passthru)\s*\(/ nocase
        $pipes = /proc_open\s*\([^;]{0,80}array\s*\(\s*0\s*=>\s*\$/ nocase
    condition:
        any of ($sock*) and (any of ($sh*) and any of ($p*) or $pipes)
}

rule php_include_media_file
{
    meta:
        kind = "malware"
        severity = "high"
        description = "PHP include of an image, icon or text file"
    strings:
        $a = /\b(include|require)(_once)?\s*\(?\s*["'][^"'\n]{1,200}\.(ico|png|jpe?g|gif|bmp|svg|txt|css|woff2?|ttf)["']/ nocase
    condition:
        $a
}

rule php_code_in_image
{
    meta:
        kind = "malware"
        severity = "high"
        description = "image file carrying PHP code"
    strings:
        $php = "<?php" nocase
        $eval = /\b(eval|assert|system|exec|passthru|shell_exec|base64_decode)\s*\(/ nocase
    condition:
        (uint32be(0) == 0x47494638 or uint16be(0) == 0xFFD8 or uint32be(0) == 0x89504E47)
        and $php and $eval
}

rule php_eval_variable_with_request
{
    meta:
        kind = "malware"
        severity = "high"
        description = "eval/assert of a variable, or a variable called as a function on request data"
    strings:
        $eval = /\beval\s*\(\s*\$([a-zA-Z\x7f-\xff]|_[a-z0-9_\x7f-\xff]|_\W)/
        $assert = /\bassert\s*\(\s*\$([a-zA-Z\x7f-\xff]|_[a-z0-9_\x7f-\xff]|_\W)/
        $varcall = /\$[a-zA-Z_\x7f-\xff][a-zA-Z0-9_\x7f-\xff]{0,30}\s*\(\s*@?\$_(GET|POST|REQUEST|COOKIE)\s*\[/
        $assigned_call = /\$[a-zA-Z_]\w{0,20}\s*=\s*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[[^\]]{1,40}\]\s*;\s*(\$[a-zA-Z_]\w{0,20}\s*=\s*)?@?\$[a-zA-Z_]\w{0,20}\s*\(/
        $alias = /\$[a-zA-Z_]\w{0,20}\s*=\s*\$_(REQUEST|COOKIE|POST|GET)\s*;[^\n]{0,80}@?\$[a-zA-Z_]\w{0,20}\s*\[[^\]]{1,30}\]\s*\(/
        $req = /\$_(GET|POST|REQUEST|COOKIE)\b/
    condition:
        $varcall or $assigned_call or $alias or (($eval or $assert) and $req)
}

rule php_callback_names_dangerous_function
{
    meta:
        kind = "malware"
        severity = "critical"
        description = "a callback runner given eval/assert/system by name, or the name split up"
    strings:
        $cb = /\b(array_map|array_filter|array_walk|call_user_func(_array)?|usort|uasort|uksort|register_shutdown_function|register_tick_function|ob_start)\s*\(\s*['"](assert|eval|system|exec|passthru|shell_exec|popen|proc_open|create_function)['"]/ nocase
        $split_assert = /['"](as|ass|asse|asser)['"]\s*\.\s*['"](s|ss|sse|sser|sert|ert|rt|t)['"]/ nocase
        $split_b64 = /['"](ba|bas|base|base6|base64)['"]\s*\.\s*['"](se|ase|e64|64|4|se64_decode|ase64_decode|e64_decode|64_decode|4_decode|_decode)['"]/ nocase
        $split_eval = /['"](e|ev)['"]\s*\.\s*['"](val|al)['"]/ nocase
        $reflect = /new\s+ReflectionFunction\s*\(\s*['"](assert|eval|system|exec|passthru|shell_exec|popen|proc_open|create_function)['"]/ nocase
        $pieces1 = /'[a-zA-Z_0-9]{1,8}'\.'[a-zA-Z_0-9]{1,8}'\.'[a-zA-Z_0-9]{1,8}'/
        $pieces2 = /'[a-zA-Z_0-9]{1,8}' \. '[a-zA-Z_0-9]{1,8}' \. '[a-zA-Z_0-9]{1,8}'/
        $pieces3 = /"[a-zA-Z_0-9]{1,8}"\."[a-zA-Z_0-9]{1,8}"\."[a-zA-Z_0-9]{1,8}"/
        $pieces4 = /"[a-zA-Z_0-9]{1,8}" \. "[a-zA-Z_0-9]{1,8}" \. "[a-zA-Z_0-9]{1,8}"/
        $req = /\$_(GET|POST|REQUEST|COOKIE)\s*\[/
    condition:
        $cb or any of ($split*) or $reflect or (any of ($pieces*) and $req)
}

rule php_base64_encoded_code
{
    meta:
        kind = "malware"
        severity = "high"
        description = "base64 text that encodes PHP code, decoders or request data"
    strings:
        $b64_decode1 = "YmFzZTY0X2RlY29kZS"
        $b64_decode2 = "Jhc2U2NF9kZWNvZGUo"
        $b64_decode3 = "iYXNlNjRfZGVjb2RlK"
        $post1 = "JF9QT1NUW"
        $post2 = "RfUE9TVF"
        $post3 = "kX1BPU1Rb"
        $request1 = "JF9SRVFVRVNUW"
        $request2 = "RfUkVRVUVTVF"
        $request3 = "kX1JFUVVFU1Rb"
        $cookie1 = "JF9DT09LSUVb"
        $cookie2 = "RfQ09PS0lFW"
        $cookie3 = "kX0NPT0tJRV"
        $system1 = "c3lzdGVtK"
        $system2 = "N5c3RlbS"
        $system3 = "zeXN0ZW0o"
        $assert1 = "YXNzZXJ0K"
        $assert2 = "Fzc2VydC"
        $assert3 = "hc3NlcnQo"
        $gzinflate1 = "Z3ppbmZsYXRlK"
        $gzinflate2 = "d6aW5mbGF0ZS"
        $gzinflate3 = "nemluZmxhdGUo"
        $shell1 = "c2hlbGxfZXhlYy"
        $shell2 = "NoZWxsX2V4ZWMo"
        $shell3 = "zaGVsbF9leGVjK"
        $eval1 = "ZXZhbC"
        $eval2 = "V2YWwo"
        $eval3 = "ldmFsK"
        $php1 = "PD9waH"
    condition:
        any of ($b64*, $post*, $request*, $cookie*, $system*, $assert*, $gzinflate*, $shell*)
        or (any of ($eval*) and $php1)
}

rule php_escaped_include
{
    meta:
        kind = "malware"
        severity = "critical"
        description = "include/require of a path written in hex or octal escapes"
    strings:
        $a = /\b(include|require)(_once)?\s*\(?\s*["']([^"'\n\\]{0,30}(\\x[0-9a-fA-F]{2}|\\[0-7]{3})){3}/
    condition:
        $a
}

rule php_backtick_request
{
    meta:
        kind = "malware"
        severity = "critical"
        description = "shell backticks around request data"
    strings:
        $a = /(=|echo|print|\(|;|return)\s*`\s*\{?\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]`]{1,30}\]\s*\}?\s*`/
    condition:
        $a
}

rule php_o0_obfuscation
{
    meta:
        kind = "malware"
        severity = "high"
        description = "code obfuscated with look-alike O/0 or underscore variable names"
    strings:
        $o0 = /\$(O0|0O|OO|00)[O0]{3,}\s*[=(\[.]/
        $u = /\$_{3,}\s*=/
        $gl = /\$GLOBALS\s*\[\s*['"][_O0lI1]{4,}['"]\s*\]/
    condition:
        #o0 >= 3 or #u >= 3 or #gl >= 3
}

rule php_exec_variable_with_request
{
    meta:
        kind = "malware"
        severity = "high"
        description = "a command run from a variable in a file that reads request data"
    strings:
        $exec = /[^>:$a-zA-Z0-9_](system|passthru|shell_exec|exec|popen|proc_open|pcntl_exec)\s*\(\s*@?\$[a-zA-Z_\x7f-\xff]/
        $req = /\$_(GET|POST|REQUEST|COOKIE)\s*\[/
    condition:
        $exec and $req
}

rule php_eval_call
{
    meta:
        kind = "malware"
        severity = "high"
        description = "eval of what a function returns (a custom decoder)"
    strings:
        $a = /[^>:$a-zA-Z0-9_]eval\s*\(\s*@?[a-zA-Z_\x7f-\xff][a-zA-Z0-9_\x7f-\xff]{0,40}\s*\(/
    condition:
        $a
}

rule php_small_uploader
{
    meta:
        kind = "malware"
        severity = "high"
        description = "a small script whose job is to store an uploaded file"
    strings:
        $files = "$_FILES"
        $store = /\b(move_uploaded_file|copy)\s*\(/
        $form = /enctype\s*=\s*["']?multipart\/form-data/ nocase
    condition:
        filesize < 8KB and $files and $store and $form
}

rule php_file_ops_on_request_path
{
    meta:
        kind = "malware"
        severity = "high"
        description = "files read, deleted or shown at a path taken straight from the request"
    strings:
        $a = /\b(unlink|readfile|show_source|highlight_file|file_get_contents|fopen|rmdir|file|chmod)\s*\(\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
    condition:
        $a
}

rule php_eval_variable
{
    meta:
        kind = "suspicious"
        severity = "medium"
        description = "eval of a variable: code built at run time"
    strings:
        $eval = /[^>:$a-zA-Z0-9_]eval\s*\(\s*\$([a-zA-Z\x7f-\xff]|_[a-z0-9_\x7f-\xff])/
    condition:
        $eval
}
