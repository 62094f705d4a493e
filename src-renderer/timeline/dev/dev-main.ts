// Dev page for the timeline and suspicion views with a synthetic trace; never part of
// the app's build (the renderer's build input is src-renderer/index.html only).
// Query: ?durationMs=50000 (longer = more events; 900000 ≈ 100,000 events), ?live=1 to replay.
import { createApp } from 'vue';
import '../../common/theme.css';
import DevApp from './DevApp.vue';

createApp(DevApp).mount('#app');
