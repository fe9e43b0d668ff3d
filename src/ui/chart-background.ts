import type { Chart } from 'chart.js';

/** A chart.js plugin: an exported PNG gets the white the page shows, not a transparent background. */
export const whiteBackground = {
  id: 'shiftlens-white-background',
  beforeDraw(chart: Chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};
