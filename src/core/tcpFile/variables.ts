// `.tcp` files share their placeholders with panel and preset payloads; the one implementation is in
// shared/ because the panel previews them in the browser.
export * from '../../shared/variables';
