/**
 * The extension's icons (SVG sources live in style/icons/).
 */
import { LabIcon } from '@jupyterlab/ui-components';

import artifactsSvgstr from '../style/icons/artifacts.svg';

export const artifactsIcon = new LabIcon({
  name: 'jupyter-artifacts:icon',
  svgstr: artifactsSvgstr
});
