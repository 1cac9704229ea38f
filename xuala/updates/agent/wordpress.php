<?php
/**
 * Xuala's helper inside a WordPress site, run by the node with php-cli:
 *
 *   php wordpress.php ROOT inventory
 *   php wordpress.php ROOT upgrade '{"type":"plugin","file":"hello/hello.php"}'
 *   php wordpress.php ROOT upgrade '{"type":"core"}'
 *
 * XUALA_SITE_URL (environment) is the site's address, so WordPress sees the request it
 * expects. The answer is the last line starting with "@@XUALA@@", then JSON: whatever the
 * site prints before it (or a plugin that redirects and exits) does not hide it.
 */

if (PHP_SAPI !== 'cli') {
    exit(1);
}

$xuala_root = rtrim($argv[1] ?? '', '/');
$xuala_action = $argv[2] ?? 'inventory';
$xuala_args = json_decode($argv[3] ?? '{}', true) ?: array();
$xuala_answer = null;

function xuala_answer($body)
{
    global $xuala_answer;
    $xuala_answer = $body;
}

register_shutdown_function(function () {
    global $xuala_answer;
    $error = error_get_last();
    if ($error && in_array($error['type'], array(E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR), true)) {
        $xuala_answer = array('ok' => false, 'fatal' => $error['message'] . ' in ' . $error['file'] . ':' . $error['line']);
    } elseif ($xuala_answer === null) {
        $xuala_answer = array('ok' => false, 'exited' => true);
    }
    echo "\n@@XUALA@@" . json_encode($xuala_answer) . "\n";
});

$url = parse_url(getenv('XUALA_SITE_URL') ?: 'http://localhost/');
$_SERVER['HTTP_HOST'] = $url['host'] . (isset($url['port']) ? ':' . $url['port'] : '');
$_SERVER['SERVER_NAME'] = $url['host'];
$_SERVER['SERVER_PORT'] = $url['port'] ?? (($url['scheme'] ?? 'http') === 'https' ? 443 : 80);
$_SERVER['REQUEST_URI'] = $url['path'] ?? '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['REMOTE_ADDR'] = '127.0.0.1';
if (($url['scheme'] ?? 'http') === 'https') {
    $_SERVER['HTTPS'] = 'on';
}

if ($xuala_action === 'upgrade') {
    if (($xuala_args['type'] ?? '') === 'core') {
        define('WP_INSTALLING', true);
    }
    define('WP_ADMIN', true);
}
chdir($xuala_root);
require $xuala_root . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

function xuala_inventory()
{
    global $wp_version, $wp_db_version;
    $plugins = array();
    foreach (get_plugins() as $file => $headers) {
        $folder = dirname($file);
        $plugins[] = array(
            'file' => $file,
            'slug' => $folder === '.' ? basename($file, '.php') : $folder,
            'single_file' => $folder === '.',
            'name' => $headers['Name'],
            'version' => $headers['Version'],
            'requires_php' => $headers['RequiresPHP'] ?? '',
            'active' => is_plugin_active($file),
        );
    }
    $stylesheet = get_stylesheet();
    $template = get_template();
    $themes = array();
    foreach (wp_get_themes() as $slug => $theme) {
        $themes[] = array(
            'slug' => (string) $slug,
            'name' => $theme->get('Name'),
            'version' => $theme->get('Version'),
            'parent' => $theme->parent() ? $theme->get_template() : null,
            'active' => $slug === $stylesheet || $slug === $template,
        );
    }
    $shop = null;
    if (function_exists('wc_get_page_permalink') && get_option('woocommerce_shop_page_id')) {
        $shop = wc_get_page_permalink('shop');
    }
    return array(
        'ok' => true,
        'core' => array(
            'version' => $wp_version,
            'db_version' => (string) $wp_db_version,
            'db_version_installed' => (string) get_option('db_version'),
            'php' => PHP_VERSION,
            'locale' => get_locale(),
            'multisite' => is_multisite(),
        ),
        'plugins' => $plugins,
        'themes' => $themes,
        'stylesheet' => $stylesheet,
        'template' => $template,
        'home' => home_url('/'),
        'shop' => $shop,
    );
}

function xuala_upgrade($args)
{
    global $wp_db_version;
    $type = $args['type'] ?? '';
    if ($type === 'core') {
        require_once ABSPATH . 'wp-admin/includes/upgrade.php';
        $before = (string) get_option('db_version');
        if ($before !== (string) $wp_db_version) {
            wp_upgrade();
        }
        return array('ok' => true, 'db_version_before' => $before,
                     'db_version' => (string) get_option('db_version'));
    }
    require_once ABSPATH . 'wp-admin/includes/admin.php';
    require_once ABSPATH . 'wp-admin/includes/class-wp-upgrader.php';
    $admins = get_users(array('role' => 'administrator', 'number' => 1, 'fields' => 'ID'));
    if ($admins) {
        wp_set_current_user((int) $admins[0]);
    }
    // What WordPress's own updater announces once an update is in place, then an admin page's
    // start: the two places plugins and themes run their upgrade routines.
    if ($type === 'plugin') {
        $upgrader = new Plugin_Upgrader(new Automatic_Upgrader_Skin());
        $options = array('action' => 'update', 'type' => 'plugin', 'bulk' => true,
                         'plugins' => array($args['file'] ?? ''));
    } else {
        $upgrader = new Theme_Upgrader(new Automatic_Upgrader_Skin());
        $options = array('action' => 'update', 'type' => 'theme', 'bulk' => true,
                         'themes' => array($args['file'] ?? ''));
    }
    ob_start();
    do_action('upgrader_process_complete', $upgrader, $options);
    do_action('admin_init');
    ob_end_clean();
    return array('ok' => true);
}

if ($xuala_action === 'inventory') {
    xuala_answer(xuala_inventory());
} elseif ($xuala_action === 'upgrade') {
    xuala_answer(xuala_upgrade($xuala_args));
} else {
    xuala_answer(array('ok' => false, 'error' => 'unknown action ' . $xuala_action));
}
