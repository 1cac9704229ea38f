<?php
/**
 * Plugin Name: Xuala Anti-spam
 * Description: Sends comments, registrations, Contact Form 7 messages and WooCommerce order
 *   notes to the Xuala anti-spam service (Akismet's protocol) before they are stored.
 *   Must-use plugin: copy this file to wp-content/mu-plugins/.
 * Version: 1.0
 *
 * Configuration (wp-config.php):
 *   define('XUALA_ANTISPAM_KEY', 'xs…');                       // the site's key
 *   define('XUALA_ANTISPAM_URL', 'https://desk.example/akismet/1.1/');
 *
 * When the service cannot be reached (or answers anything but true/false) nothing is lost
 * and nobody is blocked: a comment is held for moderation and marked, and a scheduled task
 * (every five minutes) asks again and files it as spam or publishes it as the site's
 * settings would have; a registration, a contact message or an order note goes through
 * and is marked for a look. Moving a comment to spam or out of it on the moderation
 * screen is reported back (submit-spam / submit-ham), so the site's filter learns it.
 */

if (!defined('ABSPATH')) {
    exit;
}

if (!defined('XUALA_ANTISPAM_TIMEOUT')) {
    define('XUALA_ANTISPAM_TIMEOUT', 3); // seconds the visitor may wait for the verdict
}
const XUALA_ANTISPAM_QUEUED = 'xuala_antispam_queued';
const XUALA_ANTISPAM_GUID = 'xuala_antispam_guid';

function xuala_antispam_configured() {
    return defined('XUALA_ANTISPAM_KEY') && defined('XUALA_ANTISPAM_URL')
        && XUALA_ANTISPAM_KEY !== '' && XUALA_ANTISPAM_URL !== '';
}

/** POSTs an Akismet call; the response array, or null when the service cannot be reached. */
function xuala_antispam_call($endpoint, array $fields) {
    if (!xuala_antispam_configured()) {
        return null;
    }
    $fields = array_merge(array(
        'api_key' => XUALA_ANTISPAM_KEY,
        'blog' => home_url('/'),
        'blog_lang' => get_locale(),
        'blog_charset' => get_option('blog_charset'),
    ), $fields);
    $response = wp_remote_post(trailingslashit(XUALA_ANTISPAM_URL) . $endpoint, array(
        'timeout' => XUALA_ANTISPAM_TIMEOUT,
        'body' => $fields,
        'headers' => array('User-Agent' => 'WordPress/' . get_bloginfo('version') . ' | Xuala-Antispam/1.0'),
    ));
    if (is_wp_error($response) || (int) wp_remote_retrieve_response_code($response) !== 200) {
        return null;
    }
    return array(
        'body' => trim(wp_remote_retrieve_body($response)),
        'guid' => wp_remote_retrieve_header($response, 'x-akismet-guid'),
        'discard' => wp_remote_retrieve_header($response, 'x-akismet-pro-tip') === 'discard',
    );
}

/** The verdict on one item: 'spam', 'ham', or 'unknown' (service away) with the guid. */
function xuala_antispam_check(array $fields) {
    $fields = array_merge(array(
        'user_ip' => isset($_SERVER['REMOTE_ADDR']) ? $_SERVER['REMOTE_ADDR'] : '',
        'user_agent' => isset($_SERVER['HTTP_USER_AGENT']) ? $_SERVER['HTTP_USER_AGENT'] : '',
        'referrer' => isset($_SERVER['HTTP_REFERER']) ? $_SERVER['HTTP_REFERER'] : '',
    ), $fields);
    $answer = xuala_antispam_call('comment-check', $fields);
    if ($answer === null || !in_array($answer['body'], array('true', 'false'), true)) {
        return array('verdict' => 'unknown', 'guid' => '');
    }
    return array('verdict' => $answer['body'] === 'true' ? 'spam' : 'ham',
                 'guid' => (string) $answer['guid']);
}

function xuala_antispam_comment_fields(array $data) {
    return array(
        'user_ip' => isset($data['comment_author_IP']) ? $data['comment_author_IP'] : '',
        'user_agent' => isset($data['comment_agent']) ? $data['comment_agent'] : '',
        'permalink' => isset($data['comment_post_ID']) ? get_permalink($data['comment_post_ID']) : '',
        'comment_type' => empty($data['comment_type']) ? 'comment' : $data['comment_type'],
        'comment_author' => isset($data['comment_author']) ? $data['comment_author'] : '',
        'comment_author_email' => isset($data['comment_author_email']) ? $data['comment_author_email'] : '',
        'comment_author_url' => isset($data['comment_author_url']) ? $data['comment_author_url'] : '',
        'comment_content' => isset($data['comment_content']) ? $data['comment_content'] : '',
    );
}

// ----------------------------------------------------------------------------- comments

$GLOBALS['xuala_antispam_last'] = null;

add_filter('pre_comment_approved', function ($approved, $data) {
    if (is_wp_error($approved) || $approved === 'spam' || $approved === 'trash'
        || !xuala_antispam_configured()) {
        return $approved;
    }
    $result = xuala_antispam_check(xuala_antispam_comment_fields($data));
    $GLOBALS['xuala_antispam_last'] = $result;
    if ($result['verdict'] === 'spam') {
        return 'spam';
    }
    if ($result['verdict'] === 'unknown') {
        return 0; // held for moderation until the service answers (never lost, never refused)
    }
    return $approved;
}, 99, 2);

add_action('comment_post', function ($comment_id) {
    $result = $GLOBALS['xuala_antispam_last'];
    $GLOBALS['xuala_antispam_last'] = null;
    if ($result === null) {
        return;
    }
    if ($result['verdict'] === 'unknown') {
        add_comment_meta($comment_id, XUALA_ANTISPAM_QUEUED, time(), true);
    } elseif ($result['guid'] !== '') {
        add_comment_meta($comment_id, XUALA_ANTISPAM_GUID, $result['guid'], true);
    }
}, 10, 1);

/** The moderation screen's "Spam" / "Not spam" reach the service's model. */
add_action('transition_comment_status', function ($new, $old, $comment) {
    if ($new === $old || !xuala_antispam_configured()) {
        return;
    }
    if ($new === 'spam') {
        $endpoint = 'submit-spam';
    } elseif ($old === 'spam' && ($new === 'approved' || $new === 'unapproved')) {
        $endpoint = 'submit-ham';
    } else {
        return;
    }
    $data = get_object_vars($comment);
    $fields = xuala_antispam_comment_fields($data);
    $fields['guid'] = (string) get_comment_meta($comment->comment_ID, XUALA_ANTISPAM_GUID, true);
    xuala_antispam_call($endpoint, $fields);
}, 10, 3);

/** Comments held while the service was away: asked again every five minutes. */
function xuala_antispam_recheck() {
    $queued = get_comments(array('status' => 'hold', 'meta_key' => XUALA_ANTISPAM_QUEUED,
                                 'number' => 50));
    foreach ($queued as $comment) {
        $result = xuala_antispam_check(xuala_antispam_comment_fields(get_object_vars($comment)));
        if ($result['verdict'] === 'unknown') {
            return; // still away: try again next time
        }
        delete_comment_meta($comment->comment_ID, XUALA_ANTISPAM_QUEUED);
        if ($result['guid'] !== '') {
            update_comment_meta($comment->comment_ID, XUALA_ANTISPAM_GUID, $result['guid']);
        }
        if ($result['verdict'] === 'spam') {
            wp_set_comment_status($comment->comment_ID, 'spam');
        } elseif (check_comment($comment->comment_author, $comment->comment_author_email,
                                $comment->comment_author_url, $comment->comment_content,
                                $comment->comment_author_IP, $comment->comment_agent,
                                $comment->comment_type)) {
            wp_set_comment_status($comment->comment_ID, 'approve');
        } // else: the site's own settings hold it for moderation
    }
}
add_action('xuala_antispam_recheck', 'xuala_antispam_recheck');
add_filter('cron_schedules', function ($schedules) {
    $schedules['xuala_five_minutes'] = array('interval' => 300, 'display' => 'Every five minutes');
    return $schedules;
});
add_action('init', function () {
    if (!wp_next_scheduled('xuala_antispam_recheck')) {
        wp_schedule_event(time() + 300, 'xuala_five_minutes', 'xuala_antispam_recheck');
    }
});

// ------------------------------------------------------------------------ registrations

add_filter('registration_errors', function ($errors, $login, $email) {
    if (!xuala_antispam_configured()) {
        return $errors;
    }
    $result = xuala_antispam_check(array('comment_type' => 'signup', 'comment_author' => $login,
                                         'comment_author_email' => $email));
    if ($result['verdict'] === 'spam') {
        $errors->add('xuala_antispam', __('<strong>Error</strong>: This registration looks like spam.'));
    } elseif ($result['verdict'] === 'unknown') {
        $GLOBALS['xuala_antispam_user_queued'] = true;
    }
    return $errors;
}, 99, 3);

add_action('user_register', function ($user_id) {
    if (!empty($GLOBALS['xuala_antispam_user_queued'])) {
        update_user_meta($user_id, XUALA_ANTISPAM_QUEUED, time()); // for a look: never refused
    }
});

// ----------------------------------------------------------------------- Contact Form 7

add_filter('wpcf7_spam', function ($spam, $submission = null) {
    if ($spam || !xuala_antispam_configured() || !class_exists('WPCF7_Submission')) {
        return $spam;
    }
    $submission = $submission ?: WPCF7_Submission::get_instance();
    if (!$submission) {
        return $spam;
    }
    $posted = (array) $submission->get_posted_data();
    $text = array();
    foreach ($posted as $name => $value) {
        if (strpos($name, '_') !== 0 && !in_array($name, array('your-name', 'your-email'), true)) {
            $text[] = is_array($value) ? implode(', ', $value) : (string) $value;
        }
    }
    $result = xuala_antispam_check(array(
        'comment_type' => 'contact-form',
        'comment_author' => isset($posted['your-name']) ? $posted['your-name'] : '',
        'comment_author_email' => isset($posted['your-email']) ? $posted['your-email'] : '',
        'comment_content' => implode("\n", $text),
        'user_ip' => $submission->get_meta('remote_ip'),
        'user_agent' => $submission->get_meta('user_agent'),
    ));
    // Away: the message is sent as usual (CF7 keeps it when Flamingo is installed).
    return $result['verdict'] === 'spam';
}, 99, 2);

// -------------------------------------------------------------------- WooCommerce notes

add_action('woocommerce_checkout_create_order', function ($order, $data) {
    $note = isset($data['order_comments']) ? trim((string) $data['order_comments']) : '';
    if ($note === '' || !xuala_antispam_configured()) {
        return;
    }
    // WooCommerce has set the buyer's address and browser on the order by now (the checkout
    // may also run where REMOTE_ADDR is the proxy's, or unset: the REST API, a CLI import).
    $result = xuala_antispam_check(array(
        'user_ip' => (string) $order->get_customer_ip_address(),
        'user_agent' => (string) $order->get_customer_user_agent(),
        'comment_type' => 'order-note',
        'comment_author' => trim($order->get_billing_first_name() . ' ' . $order->get_billing_last_name()),
        'comment_author_email' => $order->get_billing_email(),
        'comment_content' => $note,
    ));
    // The order always goes through; a spam note is set aside, an unchecked one marked.
    if ($result['verdict'] === 'spam') {
        $order->update_meta_data('_xuala_antispam_note', $note);
        $order->set_customer_note('');
    } elseif ($result['verdict'] === 'unknown') {
        $order->update_meta_data('_' . XUALA_ANTISPAM_QUEUED, time());
    }
}, 10, 2);
