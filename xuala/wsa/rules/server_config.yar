// Xuala WSA: web-server configuration abuse (.htaccess, .user.ini, php.ini).

rule htaccess_search_redirect
{
    meta:
        kind = "malware"
        severity = "high"
        description = ".htaccess redirect of search-engine or mobile visitors to another site"
    strings:
        $cond = /RewriteCond\s+%\{HTTP_(REFERER|USER_AGENT)\}[^\n]{0,200}(google|yahoo|bing|yandex|baidu|android|iphone|mobile|facebook)/ nocase
        $rule = /RewriteRule\s+[^\n]{1,200}\s+https?:\/\// nocase
    condition:
        $cond and $rule
}

rule htaccess_php_handler_for_media
{
    meta:
        kind = "malware"
        severity = "high"
        description = ".htaccess makes images or text files run as PHP"
    strings:
        $a = /(AddHandler|AddType|SetHandler)\s+[^\n]{0,60}(x-httpd-php|php[0-9.]*-script|application\/x-httpd)[^\n]{0,60}\.(jpe?g|png|gif|ico|txt|bmp|svg)/ nocase
        $b = /<Files(Match)?\s+[^>]{0,80}\.(jpe?g|png|gif|ico|txt)[^>]{0,40}>\s*(SetHandler|ForceType)\s+[^\n]{0,40}php/ nocase
    condition:
        any of them
}

rule config_auto_prepend_file
{
    meta:
        kind = "malware"
        severity = "high"
        description = "auto_prepend_file/auto_append_file makes PHP load a file before every script"
    strings:
        $a = /(php_value\s+)?auto_(prepend|append)_file\s*=?\s*["']?[^\s"'\n]{2,}/ nocase
        $none = /auto_(prepend|append)_file\s*=?\s*(none|["']none["']|["']\s*["'])/ nocase
        $wordfence = "wordfence-waf.php"
    condition:
        $a and not $none and not $wordfence
}
