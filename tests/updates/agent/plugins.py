"""The test plugins, version by version, as PHP source.

``xuala-shop`` keeps its orders in a table of its own: 1.0 creates it on activation; 1.1
adds a column in its upgrade routine (a clean update); 1.2's upgrade alters the table,
changes its data and creates a second table, and its front end dies with a fatal error;
1.3 changes nothing but a style that breaks the layout. ``xuala-demo`` writes an option on
upgrade and nothing visible.
"""

SHOP_BASE = """
register_activation_hook(__FILE__, function () {
    global $wpdb;
    $wpdb->query("CREATE TABLE IF NOT EXISTS {$wpdb->prefix}xuala_orders
        (id INT PRIMARY KEY, total DECIMAL(8,2) NOT NULL) ENGINE=InnoDB");
    $wpdb->query("INSERT IGNORE INTO {$wpdb->prefix}xuala_orders VALUES
        (1, 10.50), (2, 20.00), (3, 7.25)");
    update_option('xuala_shop_db', '1.0');
});
add_action('wp_footer', function () { echo '<!-- xuala-shop -->'; });
"""
SHOP_UPGRADE = """
add_action('plugins_loaded', function () {
    global $wpdb;
    if (version_compare(get_option('xuala_shop_db', '0'), '%(version)s', '<')) {
        %(statements)s
        update_option('xuala_shop_db', '%(version)s');
    }
});
"""
SHOP_11 = SHOP_BASE + SHOP_UPGRADE % {"version": "1.1", "statements": """
        $wpdb->query("ALTER TABLE {$wpdb->prefix}xuala_orders
            ADD COLUMN currency CHAR(3) NOT NULL DEFAULT 'EUR'");"""}
SHOP_12 = SHOP_BASE + SHOP_UPGRADE % {"version": "1.2", "statements": """
        $wpdb->query("ALTER TABLE {$wpdb->prefix}xuala_orders ADD COLUMN note VARCHAR(50)");
        $wpdb->query("UPDATE {$wpdb->prefix}xuala_orders SET total = total * 2");
        $wpdb->query("CREATE TABLE {$wpdb->prefix}xuala_shop_log (id INT PRIMARY KEY)");
        $wpdb->query("INSERT INTO {$wpdb->prefix}xuala_shop_log VALUES (1)");"""} + """
add_action('template_redirect', function () { xuala_shop_render_totals(); });
"""
SHOP_13 = SHOP_BASE + """
add_action('wp_head', function () {
    echo '<style>.wp-site-blocks { padding-top: 900px !important; }</style>';
});
"""
DEMO = """
add_action('plugins_loaded', function () {
    if (get_option('xuala_demo_version') !== '%(version)s') {
        update_option('xuala_demo_version', '%(version)s');
    }
});
add_action('wp_head', function () { echo '<!-- xuala-demo %(version)s -->'; });
"""
