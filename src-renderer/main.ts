import { createApp } from 'vue';
import LabApp from './LabApp.vue';
import { createLabApi } from './api/create-lab-api.ts';
import { createLabStore, provideLab } from './lab/use-lab.ts';
import './common/theme.css';

const store = createLabStore(createLabApi());
const app = createApp(LabApp);
provideLab(app, store);
app.config.errorHandler = (error) => {
  store.notify('error', `The page hit a bug: ${error instanceof Error ? error.message : String(error)}`);
  console.error(error);
};
store.start();
app.mount('#app');
